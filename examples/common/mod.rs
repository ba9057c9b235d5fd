//! Plumbing shared by the examples: the server flags (`-i/--ip`, `-p/--port` and the
//! deployment ones) and running a server with them, logging to stderr, the echo protocol,
//! and the line clients (TCP and UDP) that the client examples are made of. [`tui`] is
//! the full-screen interface of the clients that port the lectures' tkinter windows
//! (`--tui`).

#![allow(dead_code)] // each example uses the part it needs

use std::fmt::Display;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::{mpsc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use socketserver::proxy::ProxyProtocol;
use socketserver::server::{Bind, Serves, SocketKind, StreamKind};
use socketserver::{
    DatagramRequest, HandlerFactory, Serve, Server, ServerBuilder, StreamHandler, StreamRequest,
    ThreadingTcpServer, UdpServer,
};

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

/// The flags of every server example: where to listen, and how it is deployed.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs<const DEFAULT_PORT: u16 = 2500> {
    #[command(flatten)]
    pub endpoint: Endpoint<DEFAULT_PORT>,
    /// Set SO_REUSEPORT before binding, so several instances listen on one port
    #[arg(long)]
    pub reuse_port: bool,
}

impl<const DEFAULT_PORT: u16> ServerArgs<DEFAULT_PORT> {
    /// What every example server runs with: a restarted server gets its port back at
    /// once, SIGINT and SIGTERM stop it gracefully (installed when it binds, before the
    /// listening line), and a socket passed by a service manager (`LISTEN_FDS`) is served
    /// instead of binding.
    pub fn configure<K: SocketKind, M, H>(
        &self,
        builder: ServerBuilder<K, M, H>,
    ) -> ServerBuilder<K, M, H> {
        builder
            .allow_reuse_address(true)
            .allow_reuse_port(self.reuse_port)
            .socket_activation(true)
            .stop_on_signals(true)
    }
}

/// The deployment flags of the stream servers that take them (`echo_server`,
/// `select_echo_server`, `http_server`, `mjpeg_server`): the PROXY protocol and TLS.
#[derive(clap::Args, Debug, Clone)]
pub struct StreamArgs {
    /// Every connection starts with a PROXY protocol header (v1 or v2) from a balancer
    #[arg(long)]
    pub proxy_protocol: bool,
    /// The balancers trusted to send PROXY headers: addresses or prefixes, comma-separated
    #[arg(
        long,
        value_name = "PREFIXES",
        value_delimiter = ',',
        default_value = "127.0.0.0/8,::1"
    )]
    pub proxy_trusted: Vec<String>,
    /// Serve TLS with this PEM certificate chain (with --tls-key)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, RSA or EC) of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a client has to finish its TLS handshake
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub tls_handshake_timeout: f64,
}

impl StreamArgs {
    /// `builder` with the flags applied. A TLS file that is missing, unreadable or does
    /// not fit: one line on stderr naming it, exit code 2. SIGHUP reloads the certificate
    /// and key from the same files (new connections get them; established ones keep
    /// theirs); it starts a thread, so no forking server takes these flags.
    pub fn apply<K: StreamKind, M, H>(
        &self,
        builder: ServerBuilder<K, M, H>,
    ) -> ServerBuilder<K, M, H> {
        let builder = if self.proxy_protocol {
            let proxy = ProxyProtocol::new()
                .trusted_sources(&self.proxy_trusted)
                .unwrap_or_else(|err| exit_with(2, err));
            builder.proxy_protocol(proxy)
        } else {
            builder
        };
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return builder;
        };
        tls::configure(builder, cert, key, self.handshake_timeout())
    }

    fn handshake_timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.tls_handshake_timeout)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .unwrap_or_else(|| exit_with(2, "--tls-handshake-timeout: a number of seconds above 0"))
    }
}

#[cfg(feature = "tls")]
mod tls {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use signal_hook::consts::SIGHUP;
    use socketserver::server::StreamKind;
    use socketserver::tls::TlsConfig;
    use socketserver::ServerBuilder;

    pub fn configure<K: StreamKind, M, H>(
        builder: ServerBuilder<K, M, H>,
        cert: &Path,
        key: &Path,
        timeout: Duration,
    ) -> ServerBuilder<K, M, H> {
        let config = TlsConfig::from_pem_files(cert, key)
            .unwrap_or_else(|err| super::exit_with(2, err))
            .handshake_timeout(timeout);
        reload_on_sighup(config.clone(), cert.to_owned(), key.to_owned());
        builder.tls(config)
    }

    /// A thread that reloads the files on each SIGHUP; a reload that fails is logged and
    /// changes nothing.
    fn reload_on_sighup(config: TlsConfig, cert: PathBuf, key: PathBuf) {
        let mut signals = signal_hook::iterator::Signals::new([SIGHUP])
            .unwrap_or_else(|err| super::exit_with(2, format_args!("SIGHUP: {err}")));
        std::thread::spawn(move || {
            for _ in signals.forever() {
                match config.reload_pem_files(&cert, &key) {
                    Ok(()) => {} // the library logs the reload
                    Err(err) => log::error!("SIGHUP: kept the old certificate: {err}"),
                }
            }
        });
    }
}

#[cfg(not(feature = "tls"))]
mod tls {
    use std::path::Path;
    use std::time::Duration;

    use socketserver::server::StreamKind;
    use socketserver::ServerBuilder;

    pub fn configure<K: StreamKind, M, H>(
        _: ServerBuilder<K, M, H>,
        _: &Path,
        _: &Path,
        _: Duration,
    ) -> ServerBuilder<K, M, H> {
        super::exit_with(
            2,
            "--tls-cert: this build has no TLS (build with --features tls)",
        )
    }
}

/// Logs to stderr, binds `builder` as the flags say, prints the listening line, serves
/// until SIGINT or SIGTERM, then stops gracefully. A server that cannot start says why in
/// one line on stderr and exits with code 2.
pub fn serve<K, M, H, F, const DEFAULT_PORT: u16>(
    builder: ServerBuilder<K, M, H>,
    args: &ServerArgs<DEFAULT_PORT>,
    factory: F,
) where
    K: SocketKind + Bind<SocketAddr>,
    M: Serves<K, H>,
    F: HandlerFactory<Handler = H>,
    Server<K, M, H>: Serve<Addr = SocketAddr>,
{
    init_logging();
    let server = args
        .configure(builder)
        .bind(args.endpoint.addr(), factory)
        .unwrap_or_else(|err| exit_with(2, err));
    announce(Serve::local_addr(&server).unwrap_or_else(|err| exit_with(2, err)));
    if let Err(err) = Serve::run(server) {
        exit_with(1, err);
    }
}

/// Ends the process with one line on stderr.
pub fn exit_with(code: i32, err: impl Display) -> ! {
    eprintln!("error: {err}");
    std::process::exit(code)
}

/// Logs go to stderr; `RUST_LOG` overrides the default level (info).
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
}

/// The one line a server prints on stdout, as soon as it accepts connections.
pub fn announce(addr: impl std::fmt::Display) {
    println!("listening on {addr}");
    // A closed stdout is no reason to stop serving.
    let _ = std::io::stdout().flush();
}

/// A line's text without its line end, or the one answer every example gives to bytes
/// that are not UTF-8: `error: not UTF-8: "..."` with the bytes escaped.
pub fn text(line: &[u8]) -> Result<&str, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line).map_err(|_| format!("error: not UTF-8: \"{}\"", line.escape_ascii()))
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
    exit_with(1, format_args!("{what}: {err}"))
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
/// the connection. A line is read and echoed in pieces of at most [`ECHO_PIECE`] bytes,
/// so a line without end costs the server no more memory than that.
pub struct Echo;

/// The most of one line the echo servers hold at once.
pub const ECHO_PIECE: u64 = 64 * 1024;

impl StreamHandler for Echo {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        log::info!("connection from {}", req.client_address);
        echo_lines(req, |text| text)?;
        log::info!("{} disconnected", req.client_address);
        Ok(())
    }
}

/// Echoes each line, its text replaced by `answer(text)` (the text without its line end,
/// when the line fits in one piece; the line end is kept), until end of input or a `quit`
/// line.
pub fn echo_lines(req: &mut StreamRequest, answer: impl Fn(&[u8]) -> &[u8]) -> io::Result<()> {
    let mut piece = Vec::new();
    let mut mid_line = false;
    while req
        .rfile
        .by_ref()
        .take(ECHO_PIECE)
        .read_until(b'\n', &mut piece)?
        > 0
    {
        if !mid_line && piece.trim_ascii_end() == b"quit" {
            break;
        }
        if !mid_line && piece.ends_with(b"\n") {
            let text = piece.strip_suffix(b"\n").unwrap_or(&piece);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let end = &piece[text.len()..];
            req.wfile.write_all(&[answer(text), end].concat())?;
        } else {
            req.wfile.write_all(&piece)?;
        }
        mid_line = !piece.ends_with(b"\n");
        piece.clear();
    }
    Ok(())
}

/// A line server as the lectures write them: each line (TCP, a thread per client) or
/// each datagram (`--udp`) is answered with `reply(request)` and a line end (a datagram
/// gets one only if it came with one).
pub fn serve_replies<const DEFAULT_PORT: u16>(
    args: &ServerArgs<DEFAULT_PORT>,
    udp: bool,
    reply: fn(&[u8]) -> String,
) {
    if udp {
        return serve(UdpServer::builder(), args, move || {
            move |req: &mut DatagramRequest| {
                let end = if req.packet().ends_with(b"\n") {
                    "\n"
                } else {
                    ""
                };
                req.wfile = format!("{}{end}", reply(req.packet())).into_bytes();
                Ok(())
            }
        });
    }
    serve(ThreadingTcpServer::builder(), args, move || {
        move |req: &mut StreamRequest| {
            let mut line = Vec::new();
            while req.rfile.read_until(b'\n', &mut line)? > 0 {
                writeln!(req.wfile, "{}", reply(&line))?;
                line.clear();
            }
            Ok(())
        }
    });
}
