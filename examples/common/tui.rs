//! The full-screen terminal side of the GUI lectures' clients (`--tui`), in the place of
//! their tkinter windows, shared by `chat_client` and `temperature_client`: the `--tui`
//! flags, terminal setup and restore, the event loop, the network threads, and the parts
//! both screens draw (a line editor, a message list, a status line).
//!
//! How it runs: one channel of [`Event`]s feeds the main thread, which alone owns the
//! screen. A thread reads the keyboard (crossterm), another reads the server (a line over
//! TCP, a datagram over UDP) and a third writes to it, so a slow server never blocks
//! typing; a signal handler (SIGINT, SIGTERM, SIGHUP through `ctrlc`; SIGQUIT, SIGUSR1,
//! SIGUSR2, SIGALRM through signal-hook) sends an event too.
//! The main thread takes everything that is waiting before it draws once, so a burst of
//! 500 lines is 500 list pushes and a few frames, and the keyboard stays responsive.
//!
//! The terminal is always left as it was: raw mode and the alternate screen are undone on
//! Esc, Ctrl-C, SIGTERM, SIGHUP, a lost connection and a panic (a panic hook restores the
//! terminal first, then prints the panic message, then exits 101, whichever thread
//! panicked). Errors are printed, as one line on stderr, only after the restore.
//!
//! Logging: while the screen is in use nothing may write to the terminal, so log records
//! go to `--log-file PATH` when given and are off otherwise (a line client logs to stderr
//! as before).
//!
//! For the tests only: with `SOCKETSERVER_TUI_TEST_PANIC` set in its environment the
//! receiving thread panics at the first line from the server, so a test can see the
//! terminal restored after a panic.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::{self, ThreadId};

use crossterm::event::{self as term_event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph};
use ratatui::{Frame, Terminal};
use unicode_width::UnicodeWidthChar;

/// `--tui` and `--log-file`, flattened into a client's arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct TuiArgs {
    /// Full-screen terminal interface (the lecture's window) instead of lines on
    /// stdin/stdout; ignored when stdin or stdout is not a terminal
    #[arg(long)]
    pub tui: bool,
    /// With --tui: write log records to this file (they are off while the screen is in
    /// use)
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

impl TuiArgs {
    /// Starts logging and says whether to run the screen: `--tui` with a terminal on stdin
    /// and stdout. Otherwise logs go to stderr as for every example, and the line
    /// interface runs: piped into another program, `--tui` changes nothing.
    pub fn start(&self) -> bool {
        let screen = self.tui && io::stdin().is_terminal() && io::stdout().is_terminal();
        if !screen {
            super::init_logging();
            if self.tui {
                log::debug!("stdin or stdout is not a terminal: the line interface");
            }
            return false;
        }
        if let Some(path) = &self.log_file {
            let file = File::options()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|err| super::fail(format_args!("{}", path.display()), err));
            env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
                .target(env_logger::Target::Pipe(Box::new(file)))
                .init();
        }
        true
    }
}

/// Which socket a client talks over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A line per message, `\n` added to what is sent.
    Tcp,
    /// A datagram per message, sent without a line end (as the lectures' `sendto`).
    Udp,
}

/// What the main thread is told.
enum Event {
    /// A key, a resize, ... from the keyboard thread.
    Terminal(term_event::Event),
    /// The keyboard could not be read.
    TerminalFailed(io::Error),
    /// One line (TCP) or datagram (UDP) from the server.
    Received(String),
    /// The server is gone: why.
    Lost(String),
    /// SIGINT, SIGTERM or SIGHUP.
    Signal,
}

/// What a screen (chat, temperature) does; [`run`] does the rest.
pub trait Screen {
    /// Enter with `line` typed (not empty): what to send, if anything.
    fn submit(&mut self, line: &str) -> Option<String>;
    /// A line from the server.
    fn receive(&mut self, line: String);
    /// The message list, which PageUp/PageDown/End scroll.
    fn transcript(&mut self) -> &mut Transcript;
    /// Draws the whole screen; `ui` draws the shared parts.
    fn draw(&self, frame: &mut Frame, ui: &Ui);
}

/// The state every screen shows: what is being typed and where the connection stands.
pub struct Ui {
    pub server: SocketAddr,
    pub transport: Transport,
    pub input: Input,
    /// Why the connection was lost, once it was.
    pub lost: Option<String>,
}

impl Ui {
    /// `TCP` or `UDP`.
    pub fn transport_name(&self) -> &'static str {
        match self.transport {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        }
    }

    /// The line being typed, in a one-row `area`, with the cursor in it.
    pub fn render_input(&self, frame: &mut Frame, area: Rect) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let (visible, cursor_x) = self.input.window(usize::from(area.width));
        frame.render_widget(Paragraph::new(visible), area);
        if self.lost.is_none() {
            let x = area.x + u16::try_from(cursor_x).unwrap_or(area.width - 1);
            frame.set_cursor_position(Position::new(x, area.y));
        }
    }

    /// The bottom line: connected or lost, and the keys.
    pub fn render_status(&self, frame: &mut Frame, area: Rect) {
        let line = match &self.lost {
            None => Line::from(vec![
                Span::styled(
                    format!(" connected to {} ({}) ", self.server, self.transport_name()),
                    Style::new().fg(Color::Black).bg(Color::Green),
                ),
                Span::raw(" Enter sends · Esc quits · PgUp/PgDn scroll"),
            ]),
            Some(reason) => Line::from(vec![
                Span::styled(
                    format!(" connection lost: {reason} "),
                    Style::new().fg(Color::White).bg(Color::Red),
                ),
                Span::raw(" Esc quits"),
            ]),
        };
        frame.render_widget(Paragraph::new(line), area);
    }
}

/// A one-line editor: insert, Backspace, Delete, Left/Right, Home/End, Ctrl-U.
#[derive(Default)]
pub struct Input {
    chars: Vec<char>,
    cursor: usize,
}

impl Input {
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Takes the line out, leaving the editor empty.
    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.chars).into_iter().collect()
    }

    /// Applies an editing key; false for keys it does not edit with.
    fn edit(&mut self, key: &KeyEvent) -> bool {
        match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.chars.insert(self.cursor, clean_char(c));
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
            }
            KeyCode::Delete if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.chars.len(),
            _ => return false,
        }
        true
    }

    /// The part of the line that fits `width` columns with the cursor in view, and the
    /// cursor's column in it.
    fn window(&self, width: usize) -> (String, usize) {
        let columns = |chars: &[char]| chars.iter().map(|&c| char_width(c)).sum::<usize>();
        let mut start = 0;
        while start < self.cursor && columns(&self.chars[start..self.cursor]) >= width {
            start += 1;
        }
        let cursor_x = columns(&self.chars[start..self.cursor]);
        (self.chars[start..].iter().collect(), cursor_x)
    }
}

/// Messages, newest last, shown from the bottom of their area and wrapped to its width;
/// the oldest go past [`Transcript::KEEP`].
#[derive(Default)]
pub struct Transcript {
    entries: VecDeque<(String, Style)>,
    /// How many of the newest messages are scrolled out of view below.
    scroll: usize,
}

impl Transcript {
    pub const KEEP: usize = 10_000;

    pub fn push(&mut self, text: &str, style: Style) {
        if self.entries.len() == Self::KEEP {
            self.entries.pop_front();
        }
        self.entries.push_back((clean(text), style));
        if self.scroll > 0 {
            self.scroll = (self.scroll + 1).min(self.entries.len() - 1); // the view stays
        }
    }

    fn scroll_by(&mut self, messages: isize) {
        let most = self.entries.len().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(messages).min(most);
    }

    /// Draws the newest messages that fit in a bordered block titled `title`.
    pub fn render(&self, frame: &mut Frame, area: Rect, title: &str) {
        let mut block = bordered(title);
        if self.scroll > 0 {
            block = block.title_bottom(format!(" {} newer below (End) ", self.scroll));
        }
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let (width, height) = (usize::from(inner.width), usize::from(inner.height));
        if width == 0 || height == 0 {
            return;
        }
        let mut rows: VecDeque<Line> = VecDeque::with_capacity(height);
        for (text, style) in self.entries.iter().rev().skip(self.scroll) {
            for row in wrap(text, width).into_iter().rev() {
                rows.push_front(Line::styled(row, *style));
                if rows.len() == height {
                    break;
                }
            }
            if rows.len() == height {
                break;
            }
        }
        // Bottom-aligned, as a terminal scrolls: the newest message on the last row.
        let top = height - rows.len();
        let area = Rect {
            y: inner.y + u16::try_from(top).unwrap_or(0),
            height: u16::try_from(rows.len()).unwrap_or(inner.height),
            ..inner
        };
        frame.render_widget(Paragraph::new(Vec::from(rows)), area);
    }
}

/// A block with a border, ` title ` on it, and a column of space inside either side.
pub fn bordered(title: &str) -> Block<'static> {
    Block::bordered()
        .title(format!(" {title} "))
        .padding(Padding::horizontal(1))
}

/// Columns a character takes (0 for combining marks).
fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// A character safe to put on the screen: a tab is a space, other control characters
/// (an escape sequence from the network would redraw the terminal) are `�`.
fn clean_char(c: char) -> char {
    match c {
        '\t' => ' ',
        c if c.is_control() => '\u{FFFD}',
        c => c,
    }
}

fn clean(text: &str) -> String {
    text.chars().map(clean_char).collect()
}

/// `text` cut into rows of at most `width` columns (at least one row, maybe empty).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > width && used > 0 {
            rows.push(String::new());
            used = 0;
        }
        rows.last_mut().expect("a row").push(c);
        used += w;
    }
    rows
}

/// Sends a screen's messages to the server, from a thread of its own.
struct Link {
    outbox: Sender<String>,
}

impl Link {
    /// Connects (TCP) or binds and connects (UDP), and starts the receiving and the
    /// sending thread; they report to `events`.
    fn open(server: SocketAddr, transport: Transport, events: &Sender<Event>) -> io::Result<Self> {
        let (outbox, queued) = mpsc::channel::<String>();
        match transport {
            Transport::Tcp => {
                let stream = TcpStream::connect(server)?;
                let mut writer = stream.try_clone()?;
                spawn_receiver(events.clone(), move |report| {
                    for line in BufReader::new(stream).split(b'\n') {
                        match line {
                            Ok(line) => report(&line),
                            Err(err) => return err.to_string(),
                        }
                    }
                    "the server closed the connection".to_owned()
                });
                spawn_sender(events.clone(), queued, move |text| {
                    writer.write_all(format!("{text}\n").as_bytes())
                });
            }
            Transport::Udp => {
                let any: IpAddr = match server {
                    SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
                    SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
                };
                // Connected: datagrams from the server only, and a missing server shows
                // up as ConnectionRefused instead of silence.
                let socket = UdpSocket::bind((any, 0))?;
                socket.connect(server)?;
                let sender = socket.try_clone()?;
                spawn_receiver(events.clone(), move |report| {
                    let mut buf = vec![0; 65536];
                    loop {
                        match socket.recv(&mut buf) {
                            Ok(n) => report(&buf[..n]),
                            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
                                return format!("no server at {server}")
                            }
                            Err(err) => return err.to_string(),
                        }
                    }
                });
                spawn_sender(events.clone(), queued, move |text| {
                    sender.send(text.as_bytes()).map(drop)
                });
            }
        }
        Ok(Link { outbox })
    }

    fn send(&self, text: String) {
        // The sending thread only stops after a failure, which it has reported.
        let _ = self.outbox.send(text);
    }
}

/// Runs `receive` on a thread: it calls its `report` argument with each message and
/// returns why it stopped, which becomes [`Event::Lost`].
fn spawn_receiver(
    events: Sender<Event>,
    receive: impl FnOnce(&mut dyn FnMut(&[u8])) -> String + Send + 'static,
) {
    let test_panic = std::env::var_os("SOCKETSERVER_TUI_TEST_PANIC").is_some();
    thread::spawn(move || {
        let lines = events.clone();
        let mut report = |message: &[u8]| {
            if test_panic {
                panic!("SOCKETSERVER_TUI_TEST_PANIC is set");
            }
            let message = message.strip_suffix(b"\n").unwrap_or(message);
            let message = message.strip_suffix(b"\r").unwrap_or(message);
            let _ = lines.send(Event::Received(String::from_utf8_lossy(message).into()));
        };
        let why = receive(&mut report);
        let _ = events.send(Event::Lost(why));
    });
}

/// Sends each queued message with `send` until one fails, which becomes [`Event::Lost`].
fn spawn_sender(
    events: Sender<Event>,
    queued: Receiver<String>,
    mut send: impl FnMut(&str) -> io::Result<()> + Send + 'static,
) {
    thread::spawn(move || {
        for text in queued {
            if let Err(err) = send(&text) {
                let _ = events.send(Event::Lost(format!("sending: {err}")));
                return;
            }
        }
    });
}

/// Whether the terminal is in raw mode on the alternate screen (and so must be restored).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Held by the main thread while it draws a frame: a frame is many writes, and a panic on
/// another thread must not restore the terminal in the middle of one (the rest of the
/// frame would land on the restored screen).
static DRAWING: Mutex<()> = Mutex::new(());

/// The thread that draws (the main thread).
static DRAWER: OnceLock<ThreadId> = OnceLock::new();

/// Raw mode, the alternate screen, and a panic hook that undoes both.
fn enter() -> io::Result<Terminal<CrosstermBackend<io::Stdout>>> {
    let _ = DRAWER.set(thread::current().id());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Another thread waits for the frame being drawn, and keeps the lock until the
        // exit: no frame is drawn on the restored terminal. (A panic while drawing holds
        // the lock already.)
        let _frame = (DRAWER.get() != Some(&thread::current().id()))
            .then(|| DRAWING.lock().unwrap_or_else(PoisonError::into_inner));
        restore();
        previous(info);
        // Whichever thread panicked: a program without its receiving thread would go on
        // as if nothing came, and unwinding would reach the main thread's drop of the
        // terminal, writing on the restored screen.
        std::process::exit(101);
    }));
    ACTIVE.store(true, Ordering::SeqCst);
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Leaves the alternate screen and raw mode, shows the cursor; once, from any thread.
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

/// Restores the terminal, then ends like [`super::fail`]: one line on stderr, exit 1.
fn fail_restored(what: impl std::fmt::Display, err: impl std::fmt::Display) -> ! {
    restore();
    super::fail(what, err)
}

/// Runs `screen` against `server` until Esc, Ctrl-C, SIGTERM or SIGHUP (exit 0), or until
/// the user quits after the connection was lost (exit 1, the reason on stderr once the
/// terminal is restored). A server that cannot be reached at all fails before the screen
/// starts, as the line client does.
pub fn run(mut screen: impl Screen, server: SocketAddr, transport: Transport) -> ! {
    let (events, inbox) = mpsc::channel();
    let link = Link::open(server, transport, &events).unwrap_or_else(|err| match transport {
        Transport::Tcp => super::fail(format_args!("cannot connect to {server}"), err),
        Transport::Udp => super::fail(format_args!("cannot reach {server}"), err),
    });
    log::info!("connected to {server}");
    let signals = events.clone();
    if let Err(err) = ctrlc::set_handler(move || {
        let _ = signals.send(Event::Signal);
    }) {
        super::fail("cannot install the signal handler", err);
    }
    // The other signals whose default is to end the process: the screen is restored for
    // them too (raw mode turns off the keys that send them, but `kill` does not).
    {
        use signal_hook::consts::{SIGALRM, SIGQUIT, SIGUSR1, SIGUSR2};
        let quit = events.clone();
        match signal_hook::iterator::Signals::new([SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM]) {
            Ok(mut signals) => {
                thread::spawn(move || {
                    if signals.forever().next().is_some() {
                        let _ = quit.send(Event::Signal);
                    }
                });
            }
            Err(err) => super::fail("cannot install the signal handler", err),
        }
    }
    let mut terminal = enter().unwrap_or_else(|err| fail_restored("terminal", err));
    let keys = events;
    thread::spawn(move || loop {
        match term_event::read() {
            Ok(event) => {
                if keys.send(Event::Terminal(event)).is_err() {
                    return;
                }
            }
            Err(err) => {
                let _ = keys.send(Event::TerminalFailed(err));
                return;
            }
        }
    });
    let mut ui = Ui {
        server,
        transport,
        input: Input::default(),
        lost: None,
    };
    loop {
        let frame = DRAWING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(err) = terminal.draw(|frame| screen.draw(frame, &ui)) {
            fail_restored("drawing", err);
        }
        drop(frame);
        // Everything that is waiting, then one frame.
        let mut next = inbox.recv().ok();
        while let Some(event) = next {
            match handle(event, &mut screen, &mut ui, &link) {
                Flow::Go => {}
                Flow::Quit => {
                    drop(terminal);
                    restore();
                    match ui.lost {
                        None => std::process::exit(0),
                        Some(reason) => {
                            super::fail(format_args!("connection to {server} lost"), reason)
                        }
                    }
                }
                Flow::Fail(err) => fail_restored("reading the terminal", err),
            }
            next = inbox.try_recv().ok();
        }
    }
}

enum Flow {
    Go,
    Quit,
    Fail(io::Error),
}

fn handle(event: Event, screen: &mut impl Screen, ui: &mut Ui, link: &Link) -> Flow {
    let key = match event {
        Event::Terminal(term_event::Event::Key(key)) if key.kind != KeyEventKind::Release => key,
        Event::Terminal(_) => return Flow::Go, // a resize: the next frame fits it
        Event::TerminalFailed(err) => return Flow::Fail(err),
        Event::Received(line) => {
            screen.receive(line);
            return Flow::Go;
        }
        Event::Lost(reason) => {
            ui.lost.get_or_insert(reason);
            return Flow::Go;
        }
        Event::Signal => return Flow::Quit,
    };
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => return Flow::Quit,
        KeyCode::Char('c') if control => return Flow::Quit,
        KeyCode::Enter => {
            if ui.lost.is_none() && !ui.input.chars.is_empty() {
                let line = ui.input.take();
                if let Some(text) = screen.submit(&line) {
                    link.send(text);
                }
            }
        }
        KeyCode::PageUp => screen.transcript().scroll_by(10),
        KeyCode::PageDown => screen.transcript().scroll_by(-10),
        KeyCode::End if control || ui.input.chars.is_empty() => screen.transcript().scroll = 0,
        _ => {
            ui.input.edit(&key);
        }
    }
    Flow::Go
}
