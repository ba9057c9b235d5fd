//! Ports exercise 12-2 and `GUI_chatclient.py` (lecture 001): a chat client that sends
//! `NAME: line` for each line you type and shows every relayed line as it arrives.
//!
//! Try: `cargo run --example chat_server`, then `cargo run --example chat_client -- --tui
//! --name alice` and `... -- --tui --name bob` in two more terminals, and type. Without
//! `--tui` it is a line client: stdin lines go out, relayed lines are printed.
//!
//! Changed from the lecture:
//! - The window is a full-screen terminal screen (`--tui`, `common::tui`): the received
//!   messages above, the line you type below (Enter sends, Esc or Ctrl-C quits), a status
//!   line that shows a lost connection. The name is `--name`, not an entry box, and the
//!   server address is `-i`/`-p`, not an `input()` prompt. As in the lecture your own line
//!   is added to your list as you send it (with a server run with `--echo-self` it then
//!   shows twice); the line interface does not print it (the terminal already shows it).
//! - The receiving thread is kept (exercise 12-2's point: lines from others show up while
//!   you type); it posts to the screen's event loop instead of writing into a widget from
//!   another thread, and a closed connection ends it instead of `recv` returning `b''`.
//! - A message is a line, so long lines arrive whole. At the end of input the line client
//!   waits for the server to close, at most a few seconds.

mod common;

use clap::Parser;
use common::tui::{self, Screen, Transcript, Transport, Ui};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::Frame;

/// Chat client: your lines go out as `NAME: line`; relayed lines are shown.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Name put in front of your lines
    #[arg(short, long, default_value = "guest")]
    name: String,
    #[command(flatten)]
    screen: tui::TuiArgs,
}

/// The lecture's window: the received messages, then the message being written.
struct Chat {
    name: String,
    messages: Transcript,
}

impl Screen for Chat {
    fn submit(&mut self, line: &str) -> Option<String> {
        let message = format!("{}: {line}", self.name);
        self.messages
            .push(&message, Style::new().add_modifier(Modifier::BOLD));
        Some(message)
    }

    fn receive(&mut self, line: String) {
        self.messages.push(&line, Style::new());
    }

    fn transcript(&mut self) -> &mut Transcript {
        &mut self.messages
    }

    fn draw(&self, frame: &mut Frame, ui: &Ui) {
        let [messages, input, status] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let title = format!("Received messages · {} on {}", self.name, ui.server);
        self.messages.render(frame, messages, &title);
        let block = tui::bordered("Send message");
        ui.render_input(frame, block.inner(input));
        frame.render_widget(block, input);
        ui.render_status(frame, status);
    }
}

fn main() {
    let args = Args::parse();
    let server = args.endpoint.addr();
    if args.screen.start() {
        let chat = Chat {
            name: args.name,
            messages: Transcript::default(),
        };
        tui::run(chat, server, Transport::Tcp);
    }
    common::tcp_line_client(server, &format!("{}: ", args.name));
}
