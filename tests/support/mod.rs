//! Helpers shared by the integration tests: clients with deadlines, and serving a server
//! on a background thread that is always shut down. The submodules run the examples
//! (`example`, `drive`), full-screen ones in a terminal (`tmux`), the programs users have
//! (`programs`), speak HTTP (`http`, `http_app`, `mjpeg`), and run the test binaries that
//! fork (`fork`).

#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socketserver::ShutdownHandle;

pub mod balancer;
pub mod browser;
pub mod drive;
pub mod echo_protocol;
pub mod example;
pub mod faults;
pub mod fork;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "http")]
pub mod http_app;
#[cfg(feature = "http")]
pub mod mjpeg;
pub mod programs;
pub mod proxy;
#[cfg(feature = "tls")]
pub mod tls;
pub mod tmux;

/// Every blocking client call in the tests gives up after this long.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects with read/write timeouts so a broken server fails the test instead of hanging.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Connects with a 4 KiB receive buffer: a client that stops reading fills its socket
/// soon, and the server's writes to it block.
pub fn connect_small_buffer(addr: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Bytes received and not yet read on `stream`.
pub fn queued(stream: &TcpStream) -> usize {
    let mut bytes: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which is valid.
    let rc = unsafe { libc::ioctl(stream.as_raw_fd(), libc::FIONREAD, &mut bytes) };
    assert_eq!(rc, 0, "FIONREAD");
    bytes as usize
}

/// Bytes written to `stream` that its peer's kernel has not yet acknowledged (0: the
/// peer has received everything sent, whether or not it has read it).
pub fn unacknowledged(stream: &TcpStream) -> usize {
    let mut bytes: libc::c_int = 0;
    // SAFETY: TIOCOUTQ writes one c_int through the pointer, which is valid.
    let rc = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut bytes) };
    assert_eq!(rc, 0, "TIOCOUTQ");
    bytes as usize
}

/// A port nobody listens on (bound, then freed), TCP or UDP.
pub fn closed_port(udp: bool) -> SocketAddr {
    if udp {
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    } else {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }
}

/// Sends `line` and reads one line back.
pub fn round_trip(stream: &mut TcpStream, line: &str) -> String {
    stream.write_all(line.as_bytes()).expect("write");
    let mut reply = String::new();
    BufReader::new(&*stream)
        .read_line(&mut reply)
        .expect("read");
    reply
}

/// Connects and sends `line` with a line end; the reply is left to read.
pub fn connect_with_line(addr: SocketAddr, line: &str) -> TcpStream {
    let mut stream = connect(addr);
    writeln!(stream, "{line}").unwrap();
    stream
}

/// Reads one line (through a fresh buffer: for a server that sends one line and waits).
pub fn read_line(stream: &TcpStream) -> String {
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("a line");
    line
}

/// Whether the server closed `stream`: end-of-file after whatever was still unread.
pub fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    matches!(stream.read_to_end(&mut rest), Ok(0))
}

/// Python's `stream_examine`: one echo round trip on a fresh connection.
pub fn stream_examine(addr: SocketAddr) {
    let mut stream = connect(addr);
    assert_eq!(round_trip(&mut stream, "hello world\n"), "hello world\n");
}

/// Python's `dgram_examine`: one datagram echo round trip.
pub fn dgram_examine(addr: SocketAddr) {
    let socket = udp_client();
    socket.send_to(b"hello world\n", addr).unwrap();
    let mut buf = [0; 64];
    let n = socket.recv(&mut buf).expect("datagram reply");
    assert_eq!(&buf[..n], b"hello world\n");
}

/// Python's `stream_examine` for AF_UNIX.
pub fn unix_stream_examine(path: &Path) {
    let mut stream = UnixStream::connect(path).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(b"hello world\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&stream).read_line(&mut reply).unwrap();
    assert_eq!(reply, "hello world\n");
}

/// Python's `dgram_examine` for AF_UNIX: client `n` binds its own path in `dir` to get
/// replies.
pub fn unix_dgram_examine(server: &Path, dir: &Path, n: usize) {
    let client = UnixDatagram::bind(dir.join(format!("client{n}.sock"))).unwrap();
    client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    client.send_to(b"hello world\n", server).unwrap();
    let mut buf = [0; 64];
    let len = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"hello world\n");
}

pub fn udp_client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    socket
}

/// The next datagram on `socket`, as UTF-8 text.
pub fn recv_text(socket: &UdpSocket) -> String {
    let mut buf = [0; 1024];
    let n = socket.recv(&mut buf).expect("a relayed datagram");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

/// A server serving on a background thread; dropping it shuts the loop down and joins.
pub struct Serving {
    handle: ShutdownHandle,
    thread: Option<JoinHandle<socketserver::Result<()>>>,
}

impl Serving {
    pub fn start<F>(handle: ShutdownHandle, serve: F) -> Self
    where
        F: FnOnce() -> socketserver::Result<()> + Send + 'static,
    {
        Serving {
            handle,
            thread: Some(std::thread::spawn(serve)),
        }
    }

    /// Shuts down and returns what `serve_forever` returned.
    pub fn stop(mut self) -> socketserver::Result<()> {
        self.handle.shutdown();
        self.thread
            .take()
            .unwrap()
            .join()
            .expect("serving thread panicked")
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.handle.shutdown();
            let _ = thread.join();
        }
    }
}

/// Python's `run_server`: serves `server` on a thread, runs `examine` three times (with
/// the round's number), then stops the loop and closes the server, which waits for what
/// its concurrency model waits for (threads, workers, children).
pub fn run_server<S: socketserver::Serve + 'static>(server: S, mut examine: impl FnMut(usize)) {
    let server = std::sync::Arc::new(server);
    let serving = {
        let server = std::sync::Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    for round in 0..3 {
        examine(round);
    }
    serving.stop().unwrap();
    std::sync::Arc::into_inner(server)
        .expect("the serving thread let go of the server")
        .server_close();
}

/// A `handle_error` hook of [`Hooks`].
pub type ErrorHook = Box<dyn Fn(&socketserver::Address, &socketserver::Error) + Send + Sync>;
/// A `verify_request` hook of [`Hooks`].
pub type VerifyHook = Box<dyn Fn(&socketserver::Address) -> bool + Send + Sync>;

/// A handler factory whose hooks are closures, so a test can watch what the server
/// reports (`handle_error`) or refuse clients (`verify_request`) in a line.
pub struct Hooks<F> {
    pub make: F,
    pub on_error: Option<ErrorHook>,
    pub verify: Option<VerifyHook>,
    pub service_actions: Option<Box<dyn Fn() + Send + Sync>>,
    pub handle_timeout: Option<Box<dyn Fn() + Send + Sync>>,
}

impl<F> Hooks<F> {
    /// `make` with every hook at its default.
    pub fn new(make: F) -> Self {
        Hooks {
            make,
            on_error: None,
            verify: None,
            service_actions: None,
            handle_timeout: None,
        }
    }

    pub fn on_error(
        mut self,
        hook: impl Fn(&socketserver::Address, &socketserver::Error) + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(Box::new(hook));
        self
    }

    pub fn verify(
        mut self,
        hook: impl Fn(&socketserver::Address) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.verify = Some(Box::new(hook));
        self
    }

    pub fn service_actions(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.service_actions = Some(Box::new(hook));
        self
    }

    pub fn handle_timeout(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.handle_timeout = Some(Box::new(hook));
        self
    }
}

impl<F, H> socketserver::HandlerFactory for Hooks<F>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Send + 'static,
{
    type Handler = H;

    fn make_handler(&self) -> H {
        (self.make)()
    }

    fn verify_request(&self, client: &socketserver::Address) -> bool {
        self.verify.as_ref().is_none_or(|verify| verify(client))
    }

    fn handle_error(&self, client: &socketserver::Address, error: &socketserver::Error) {
        match &self.on_error {
            Some(hook) => hook(client, error),
            None => socketserver::default_handle_error(client, error),
        }
    }

    fn service_actions(&self) {
        if let Some(hook) = &self.service_actions {
            hook();
        }
    }

    fn handle_timeout(&self) {
        if let Some(hook) = &self.handle_timeout {
            hook();
        }
    }
}

/// Polls `cond` until it holds or `timeout` passes; the alternative to sleeping.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::yield_now();
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// Says loudly that a test did not run: on stderr past the test harness's capture, so
/// that a passing run still shows it. On CI (the `CI` environment variable is set) a skip
/// is never allowed: the test fails instead, since `.ci/install-tools.sh` installs every
/// tool the tests use.
pub fn skip(message: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "a test may not skip on CI: {message} (see .ci/install-tools.sh)"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message}");
}

/// A handler that echoes every line (bytes, so any line comes back exactly) until EOF.
pub fn echo_lines(req: &mut socketserver::StreamRequest) -> std::io::Result<()> {
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

/// Python's datagram test handler: the datagram back to its sender.
pub fn echo_datagram(req: &mut socketserver::DatagramRequest) -> std::io::Result<()> {
    req.wfile = req.packet().to_vec();
    Ok(())
}

/// Python's test handler: echo one line, then end the request.
pub fn echo_line(req: &mut socketserver::StreamRequest) -> std::io::Result<()> {
    let mut line = Vec::new();
    req.rfile.read_until(b'\n', &mut line)?;
    req.wfile.write_all(&line)
}

/// Serves `server` on a thread; once it has answered one client and `serve_forever` has
/// returned (a shutdown), connects a client while nothing accepts (the kernel completes
/// the handshake: the connection waits in the listen backlog) and sends `request`; then
/// stops the server with `close_gracefully`. Returns the first `reply_len` bytes the
/// queued client got: closing the socket would have reset its connection instead.
pub fn served_from_the_backlog_at_the_stop<S>(
    server: S,
    request: &[u8],
    reply_len: usize,
) -> Vec<u8>
where
    S: socketserver::Serve<Addr = SocketAddr> + Send + 'static,
{
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    let (returned, returned_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let served = server.serve_forever().map_err(|err| err.to_string());
        let _ = returned.send(served);
        let _ = stop_rx.recv();
        server.close_gracefully();
    });
    // One whole conversation: the server is serving (an event loop exists).
    let mut first = connect(addr);
    first.write_all(request).unwrap();
    let mut reply = vec![0; reply_len];
    first.read_exact(&mut reply).unwrap();
    drop(first);
    handle.request_shutdown();
    let served = returned_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("serve_forever returned");
    assert_eq!(served, Ok(()));
    let mut queued = connect(addr);
    queued.write_all(request).unwrap();
    stop.send(()).unwrap();
    let mut reply = vec![0; reply_len];
    queued
        .read_exact(&mut reply)
        .expect("the queued client is answered, not reset");
    thread.join().unwrap();
    reply
}

/// Runs each named test once per serving mode: `fn name(mode: Mode)` in the test file,
/// with a `Mode` that has `Threading` and `EventLoop`, becomes `threading::name` and
/// `event_loop::name`. Attributes before a name (`#[cfg(...)]`) go on both.
#[macro_export]
macro_rules! in_every_mode {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        mod threading {
            $(#[test]
            $(#[$attr])*
            fn $name() {
                super::$name(super::Mode::Threading)
            })*
        }
        mod event_loop {
            $(#[test]
            $(#[$attr])*
            fn $name() {
                super::$name(super::Mode::EventLoop)
            })*
        }
    };
}
