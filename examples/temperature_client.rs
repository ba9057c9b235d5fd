//! Ports `GUI_socket_client.py` (lecture 001) and exercise 12-3 (3): each line you type is
//! degrees Celsius, sent to `temperature_server`; its Fahrenheit reply is shown.
//!
//! Try: `cargo run --example temperature_server`, then `cargo run --example
//! temperature_client -- --tui` and type `36.6` (shows `97.9`), or `echo 36.6 | cargo run
//! --example temperature_client` (prints `97.9`). Add `--udp` on both sides for UDP.
//!
//! Changed from the lecture:
//! - The window is a full-screen terminal screen (`--tui`, `common::tui`): the lecture's
//!   two fields, "Enter a temperature (C)" and "Temperature in F" (Enter sends, as its
//!   button did; Esc or Ctrl-C quits), and below them every answer so far. Without `--tui`
//!   it is a line client: Celsius lines on stdin, replies on stdout.
//! - The line is sent as typed: the lecture's `float(entry1.get())` raised on `abc` before
//!   sending; here the server answers the error, the screen shows it and goes on.
//! - The lecture's receiving thread spun forever once the server closed (`recv` raising or
//!   returning `b''` again and again); here the screen shows the lost connection and the
//!   line client ends.

mod common;

use std::collections::VecDeque;

use clap::Parser;
use common::tui::{self, Screen, Transcript, Transport, Ui};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Temperature client: Celsius in, Fahrenheit replies out.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Talk to the server over UDP (default: TCP)
    #[arg(long)]
    udp: bool,
    #[command(flatten)]
    screen: tui::TuiArgs,
}

/// The lecture's window (a Celsius entry, the Fahrenheit answer), and the answers so far.
#[derive(Default)]
struct Temperature {
    /// What was sent and not answered yet, oldest first: the server answers in order.
    asked: VecDeque<String>,
    /// The latest answer.
    answer: Option<String>,
    answers: Transcript,
}

const LABEL_C: &str = "Enter a temperature (C)  ";
const LABEL_F: &str = "Temperature in F         ";

fn is_error(answer: &str) -> bool {
    answer.starts_with("error")
}

impl Screen for Temperature {
    fn submit(&mut self, line: &str) -> Option<String> {
        self.asked.push_back(line.to_owned());
        Some(line.to_owned())
    }

    fn receive(&mut self, line: String) {
        let celsius = self.asked.pop_front().unwrap_or_else(|| "?".into());
        let (text, style) = if is_error(&line) {
            (format!("{celsius}: {line}"), Style::new().fg(Color::Red))
        } else {
            (format!("{celsius} C = {line} F"), Style::new())
        };
        self.answers.push(&text, style);
        self.answer = Some(line);
    }

    fn transcript(&mut self) -> &mut Transcript {
        &mut self.answers
    }

    fn draw(&self, frame: &mut Frame, ui: &Ui) {
        let [fields, answers, status] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let title = format!("Temperature · {} over {}", ui.server, ui.transport_name());
        let block = tui::bordered(&title);
        let [celsius, fahrenheit] =
            Layout::vertical([Constraint::Length(1); 2]).areas(block.inner(fields));
        frame.render_widget(block, fields);
        let [label, input] =
            Layout::horizontal([Constraint::Length(LABEL_C.len() as u16), Constraint::Min(1)])
                .areas(celsius);
        frame.render_widget(Paragraph::new(LABEL_C), label);
        ui.render_input(frame, input);
        let answer = match &self.answer {
            Some(answer) if is_error(answer) => {
                Span::styled(answer.as_str(), Style::new().fg(Color::Red))
            }
            Some(answer) => Span::raw(answer.as_str()),
            None => Span::raw(""),
        };
        let line = Line::from(vec![Span::raw(LABEL_F), answer]);
        frame.render_widget(Paragraph::new(line), fahrenheit);
        self.answers.render(frame, answers, "Answers");
        ui.render_status(frame, status);
    }
}

fn main() {
    let args = Args::parse();
    let server = args.endpoint.addr();
    let transport = if args.udp {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    if args.screen.start() {
        tui::run(Temperature::default(), server, transport);
    }
    match transport {
        Transport::Udp => drop(common::udp_line_client(server, "", 1)),
        Transport::Tcp => common::tcp_line_client(server, ""),
    }
}
