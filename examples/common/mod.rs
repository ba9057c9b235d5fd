//! Plumbing shared by the examples: the `-i/--ip` and `-p/--port` flags, logging to stderr,
//! the `listening on IP:PORT` line, stopping a server on SIGINT/SIGTERM (with a thread, or
//! without one for a forking server), and the line clients (TCP and UDP) that the client
//! examples are made of. [`tui`] is the full-screen interface of the clients that port the
//! lectures' tkinter windows (`--tui`).

#![allow(dead_code)] // each example uses the part it needs

use std::fmt::Display;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use socketserver::{ShutdownHandle, StreamHandler, StreamRequest};

pub mod tui;

/// Where a server listens or a client connects: `-i/--ip` and `-p/--port`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Endpoint<const DEFAULT_PORT: u16 = 2500> {
    /// IP address (IPv4 or IPv6)
    #[arg(short, long, default_value = "127.0.0.1")]
    pub ip: IpAddr,
    /// Port; 0 picks a free port
    #[arg(short, long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

impl<const DEFAULT_PORT: u16> Endpoint<DEFAULT_PORT> {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the default level (info).
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
}

/// SIGINT and SIGTERM ask the server to stop; `serve_forever` then returns.
pub fn stop_on_signal(handle: ShutdownHandle) {
    if let Err(err) = ctrlc::set_handler(move || handle.request_shutdown()) {
        log::error!("cannot install the signal handler: {err}");
        std::process::exit(1);
    }
}

/// SIGINT and SIGTERM set the returned flag, and that is all: no thread is started (ctrlc
/// starts one), so a forking server stays a process of one thread. The serving loop looks
/// at the flag between requests.
pub fn stop_flag_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(err) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            log::error!("cannot install the signal handler: {err}");
            std::process::exit(1);
        }
    }
    stop
}

/// The one line a server prints on stdout, as soon as it accepts connections.
pub fn announce(addr: impl std::fmt::Display) {
    println!("listening on {addr}");
    // A closed stdout is no reason to stop serving.
    let _ = std::io::stdout().flush();
}

/// Locks shared state. A handler that panicked while holding the lock (the server catches
/// the panic) cannot have left a client list half-changed, so the poison is ignored.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long a client waits, once stdin has ended, for the replies still on their way.
pub const REPLY_WAIT: Duration = Duration::from_secs(5);

/// Ends a client with a one-line error on stderr and exit code 1.
pub fn fail(what: impl Display, err: impl Display) -> ! {
    eprintln!("error: {what}: {err}");
    std::process::exit(1)
}

/// A TCP line client: sends `prefix` + each stdin line, and prints every line the server
/// sends as it arrives (so chat messages show up while you type).
///
/// At the end of stdin it half-closes the connection: the server reads end-of-file after
/// the last line, answers what is left, and closes; the client prints those replies and
/// returns. A server that never closes is given [`REPLY_WAIT`]. When the server closes
/// first (`quit`), the client returns at once.
pub fn tcp_line_client(server: SocketAddr, prefix: &str) {
    let stream = TcpStream::connect(server)
        .unwrap_or_else(|err| fail(format_args!("cannot connect to {server}"), err));
    log::info!("connected to {server}");
    let sender = stream.try_clone().unwrap_or_else(|err| fail("socket", err));
    let prefix = prefix.as_bytes().to_vec();
    // Stdin on its own thread, so that this thread prints replies the moment they come.
    thread::spawn(move || {
        if let Err(err) = send_stdin_lines(&sender, &prefix) {
            log::warn!("sending to {server}: {err}"); // the receiving side reports the close
        }
        let _ = sender.shutdown(Shutdown::Write);
        thread::sleep(REPLY_WAIT); // only the bound: normally the server closes first
        log::warn!("{server} did not close within {REPLY_WAIT:?} of the end of input");
        std::process::exit(0);
    });
    match print_lines(BufReader::new(stream)) {
        Ok(()) => log::info!("{server} closed the connection"),
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {
            log::info!("{server} reset the connection")
        }
        Err(err) => fail(format_args!("receiving from {server}"), err),
    }
}

/// Sends each stdin line, whole (one write), with `prefix` in front; any bytes, any length.
fn send_stdin_lines(mut to: &TcpStream, prefix: &[u8]) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    while stdin.read_until(b'\n', &mut line)? > 0 {
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        to.write_all(&[prefix, &line].concat())?;
        line.clear();
    }
    Ok(())
}

/// Copies lines to stdout, flushing each, until end of stream.
fn print_lines(from: impl BufRead) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for line in from.split(b'\n') {
        stdout.write_all(&line?)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}

/// A UDP line client: sends `prefix` + each stdin line as one datagram (without the line
/// end, as the lectures' `sendto(input().encode())` does) and prints every datagram from
/// the server as a line, from a receiving thread.
///
/// At the end of stdin it waits (at most [`REPLY_WAIT`]) until `replies_per_line` datagrams
/// per line sent have arrived, then returns the socket (a chat client says goodbye on it).
pub fn udp_line_client(server: SocketAddr, prefix: &str, replies_per_line: usize) -> UdpSocket {
    let any: IpAddr = match server {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    // Connected: the socket takes datagrams from the server only, and a missing server
    // shows up as ConnectionRefused instead of silence.
    let socket = UdpSocket::bind((any, 0))
        .and_then(|socket| socket.connect(server).map(|()| socket))
        .unwrap_or_else(|err| fail(format_args!("cannot reach {server}"), err));
    let receiver = socket.try_clone().unwrap_or_else(|err| fail("socket", err));
    let (replied, replies) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = vec![0; 65536];
        loop {
            match receiver.recv(&mut buf) {
                Ok(n) => {
                    let datagram = buf[..n].strip_suffix(b"\n").unwrap_or(&buf[..n]);
                    let mut stdout = io::stdout().lock();
                    let printed = stdout
                        .write_all(datagram)
                        .and_then(|()| stdout.write_all(b"\n"))
                        .and_then(|()| stdout.flush());
                    if let Err(err) = printed {
                        fail("stdout", err);
                    }
                    let _ = replied.send(());
                }
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
                    fail(format_args!("no server at {server}"), err)
                }
                Err(err) => fail(format_args!("receiving from {server}"), err),
            }
        }
    });
    let mut sent = 0;
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) => fail("stdin", err),
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if let Err(err) = socket.send(&[prefix.as_bytes(), text].concat()) {
            fail(format_args!("sending to {server}"), err);
        }
        sent += 1;
    }
    let deadline = Instant::now() + REPLY_WAIT;
    for _ in 0..sent * replies_per_line {
        let left = deadline.saturating_duration_since(Instant::now());
        if replies.recv_timeout(left).is_err() {
            log::warn!("{server} left replies unanswered after {REPLY_WAIT:?}");
            break;
        }
    }
    socket
}

/// The echo protocol: each line back byte for byte (any bytes, any length); `quit` ends
/// the connection.
pub struct Echo;

impl StreamHandler for Echo {
    fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
        log::info!("connection from {}", req.client_address);
        let mut line = Vec::new();
        while req.rfile.read_until(b'\n', &mut line)? > 0 {
            if line.trim_ascii_end() == b"quit" {
                break;
            }
            req.wfile.write_all(&line)?;
            line.clear();
        }
        log::info!("{} disconnected", req.client_address);
        Ok(())
    }
}
