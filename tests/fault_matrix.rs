//! The fault matrix: every fault a client (or the machine) can inflict, on every server
//! type, a test per cell. The cells themselves are in `tests/support/faults.rs`; the
//! forking server's are in `tests/fault_matrix_forking.rs` (a binary of its own, since it
//! forks), descriptor exhaustion in `tests/emfile_recovery.rs` (it lowers `RLIMIT_NOFILE`
//! in child processes), and SIGTERM runs the examples, which are processes of their own.
//!
//! | fault \ server | iterative `TcpServer` | `Threading` | `Pool` | `Forking` | event loop | HTTP (`ThreadingHttpServer`, and `HttpEvents` on the event loop) |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | reset mid-request | `iterative_reset_mid_request` | `threading_reset_mid_request` | `pool_reset_mid_request` | `forking_reset_mid_request` [F] | `event_loop_reset_mid_request` | `http_server::{threading,event_loop}::reset_mid_request` |
//! | reset mid-reply | `iterative_reset_mid_reply` | `threading_reset_mid_reply` | `pool_reset_mid_reply` | `forking_reset_mid_reply` [F] | `event_loop_reset_mid_reply`, also `event_loop_cleans_up_reset_connections` | `http_server::{threading,event_loop}::reset_mid_reply` |
//! | half-close (the replies still arrive) | `iterative_half_close` | `threading_half_close` | `pool_half_close` | `forking_half_close` [F] | `event_loop_half_close` | `http_server::{threading,event_loop}::half_close` |
//! | slowloris (a byte a second; another client served meanwhile) | `iterative_slowloris_is_cut_by_the_connection_timeout` (one client at a time: the timeout is its defence) | `threading_slowloris` | `pool_slowloris` | `forking_slowloris` [F] | `event_loop_slowloris` | `http_server::{threading,event_loop}::slowloris` |
//! | a 16 MiB line without a newline (memory bounded) | `iterative_16_mib_line` (streamed back, RSS) | `threading_16_mib_line` | `pool_16_mib_line` | `forking_16_mib_line` [F] (the child's RSS) | `event_loop_16_mib_line_is_refused_at_max_line_length` | `http_server::{threading,event_loop}::request_line_of_16_mib_is_414` |
//! | bytes that are not UTF-8 (byte-exact echo) | `iterative_not_utf8` | `threading_not_utf8` | `pool_not_utf8` | `forking_not_utf8` [F] | `event_loop_not_utf8` | `http_server::{threading,event_loop}::not_utf8_body_and_path` |
//! | a handler panic storm (300 panics reported, serving on) | `iterative_panic_storm` | `threading_panic_storm` | `pool_panic_storm`, also `pool_survives_panicking_handlers` | `forking_panic_storm` [F] | `event_loop_panic_storm`, also `event_loop_survives_handler_panics` | `http_server::{threading,event_loop}::panic_storm` |
//! | descriptors exhausted (backs off, serves again) | `iterative` [E] | `threading` [E] | `pool` [E] | `forking` [E] | `event_loop` [E] | `http` [E] |
//! | SIGTERM under load (exit 0 within 3 s, no reply cut) | `sigterm_under_load_hello_server` | `sigterm_under_load_echo_server` | `sigterm_under_load_pool_echo_server` | `sigterm_under_load_forking_echo_server` | `sigterm_under_load_select_echo_server` | `sigterm_under_load_mjpeg_server`, also `http_mjpeg_server_exits_on_sigterm_with_viewers` |
//!
//! [F]: `tests/fault_matrix_forking.rs`. [E]: `tests/emfile_recovery.rs`, one test per
//! mode, `MODE_backs_off_while_its_descriptor_table_is_full` (and, for `Threading`,
//! `server_recovers_from_emfile_without_spinning`, out of descriptors through clients). Tests named "also" cover more of the same cell (the example servers' SIGTERM
//! and memory cases are in `tests/example_echo_servers_stop_gracefully.rs` too).
//!
//! What each cell asserts:
//! - resets: the server drops the connection (reported or not) and the next client is
//!   served;
//! - half-close: every reply, a 1 MiB one included, arrives after the client shut its
//!   write side, then the end of the connection;
//! - slowloris: a second client's round trip completes while the slow line is still
//!   unfinished, then the slow line is echoed (the iterative server serves one client at
//!   a time, so there its `connection_timeout` cuts the slow client off instead);
//! - the 16 MiB line: the blocking handlers stream it back byte-exact in 64 KiB pieces and
//!   the server's resident memory grows by less than 8 MiB meanwhile; the event loop's line
//!   framing closes the connection at `max_line_length` (1 MiB) with an error; HTTP
//!   answers 414 once the request line passes its limit;
//! - the panic storm: each panic ends its connection, every one reaches the error hook,
//!   and the server serves on;
//! - SIGTERM under load: clients in a loop of round trips when the signal comes; every
//!   reply a client received is whole, and the server exits 0 within 3 s.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::Duration;

use socketserver::server::{Bind, Serves, SocketKind};
use socketserver::{
    EventLoopTcpServer, Mode, PoolTcpServer, Serve, Server, ServerBuilder, StreamRequest,
    TcpServer, ThreadingTcpServer,
};
use support::faults::{self, EchoEvents};
#[cfg(feature = "http")]
use support::http::read_response;
use support::{Hooks, Serving, IO_TIMEOUT};

/// How many panics a storm raises.
const STORM: usize = 300;

/// Tests that measure this process's memory hold it for writing; every other test holds
/// it for reading, so none runs during a measurement. RSS is the whole process's, so a
/// server starting beside the measured one (its thread's stack, an io_uring ring and the
/// receive buffers it touches) or a panic storm's threads count in it: in one CI run they
/// pushed the event loop's 16 MiB line on io_uring to 8,524 KiB.
static MEMORY: RwLock<()> = RwLock::new(());

fn memory_shared() -> std::sync::RwLockReadGuard<'static, ()> {
    MEMORY.read().unwrap_or_else(|e| e.into_inner())
}

/// A server serving on a thread, with its error hook's count.
struct Running {
    addr: SocketAddr,
    errors: Arc<AtomicUsize>,
    _serving: Serving,
}

impl Running {
    fn reported(&self) -> impl Fn() -> usize {
        let errors = Arc::clone(&self.errors);
        move || errors.load(Ordering::SeqCst)
    }
}

fn serve<K, M, H>(builder: ServerBuilder<K, M, H>, make: fn() -> H) -> Running
where
    K: SocketKind + for<'a> Bind<&'a str>,
    M: Serves<K, H> + Mode,
    Server<K, M, H>: Serve<Addr = SocketAddr> + 'static,
    H: Send + 'static,
{
    let errors = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&errors);
    let factory = Hooks::new(make).on_error(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    let server = builder.bind("127.0.0.1:0", factory).expect("bind");
    let addr = Serve::local_addr(&server).expect("local_addr");
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(Serve::shutdown_handle(&*server), move || {
            server.serve_forever()
        })
    };
    Running {
        addr,
        errors,
        _serving: serving,
    }
}

type Echo = fn(&mut StreamRequest) -> std::io::Result<()>;

fn echo() -> Echo {
    faults::echo
}

fn iterative() -> Running {
    serve(TcpServer::builder(), echo)
}

fn threading() -> Running {
    serve(ThreadingTcpServer::builder().daemon_threads(true), echo)
}

fn pool() -> Running {
    serve(PoolTcpServer::builder(), echo)
}

fn event_loop() -> Running {
    serve(EventLoopTcpServer::builder(), EchoEvents::default)
}

fn own_rss_kib() -> u64 {
    faults::status_kib("/proc/self/status", "VmRSS:")
}

/// The stream cells every blocking mode runs the same way.
macro_rules! blocking_cells {
    ($start:ident: $reset_req:ident, $reset_reply:ident, $half:ident, $line:ident, $utf8:ident, $storm:ident) => {
        #[test]
        fn $reset_req() {
            let _memory = memory_shared();
            faults::reset_mid_request($start().addr);
        }

        #[test]
        fn $reset_reply() {
            let _memory = memory_shared();
            faults::reset_mid_reply($start().addr);
        }

        #[test]
        fn $half() {
            let _memory = memory_shared();
            faults::half_close($start().addr);
        }

        #[test]
        fn $line() {
            let server = $start();
            let _memory = MEMORY.write().unwrap_or_else(|e| e.into_inner());
            let grew = faults::long_line_echoed(server.addr, own_rss_kib);
            assert!(grew < 8 * 1024, "RSS grew by {grew} KiB for a 16 MiB line");
        }

        #[test]
        fn $utf8() {
            let _memory = memory_shared();
            faults::not_utf8($start().addr);
        }

        #[test]
        fn $storm() {
            let _memory = memory_shared();
            let server = $start();
            faults::panic_storm(server.addr, STORM, server.reported());
        }
    };
}

blocking_cells!(iterative: iterative_reset_mid_request, iterative_reset_mid_reply,
    iterative_half_close, iterative_16_mib_line, iterative_not_utf8, iterative_panic_storm);
blocking_cells!(threading: threading_reset_mid_request, threading_reset_mid_reply,
    threading_half_close, threading_16_mib_line, threading_not_utf8, threading_panic_storm);
blocking_cells!(pool: pool_reset_mid_request, pool_reset_mid_reply, pool_half_close,
    pool_16_mib_line, pool_not_utf8, pool_panic_storm);

#[test]
fn threading_slowloris() {
    let _memory = memory_shared();
    faults::slowloris(threading().addr);
}

#[test]
fn pool_slowloris() {
    let _memory = memory_shared();
    faults::slowloris(pool().addr);
}

/// One client at a time: a slow client holds the iterative server (as Python's
/// `TCPServer`) until its `connection_timeout` cuts it off, which is the defence there.
#[test]
fn iterative_slowloris_is_cut_by_the_connection_timeout() {
    let _memory = memory_shared();
    let server = serve(
        TcpServer::builder().connection_timeout(Some(Duration::from_millis(300))),
        echo,
    );
    let (slow, finished) = faults::start_slowloris(server.addr, b"", b"slow\n");
    faults::echoes(server.addr, b"served after the timeout\n");
    assert!(
        !finished.load(Ordering::SeqCst),
        "the fast client waited for the whole slow line"
    );
    let cut = slow.join().unwrap().and_then(|mut stream| {
        let mut back = [0; 5];
        stream.read_exact(&mut back)
    });
    assert!(cut.is_err(), "the slow client was cut off");
    assert!(server.reported()() >= 1, "the timeout was reported");
}

#[test]
fn event_loop_reset_mid_request() {
    let _memory = memory_shared();
    faults::reset_mid_request(event_loop().addr);
}

#[test]
fn event_loop_reset_mid_reply() {
    let _memory = memory_shared();
    faults::reset_mid_reply(event_loop().addr);
}

#[test]
fn event_loop_half_close() {
    let _memory = memory_shared();
    faults::half_close(event_loop().addr);
}

#[test]
fn event_loop_slowloris() {
    let _memory = memory_shared();
    faults::slowloris(event_loop().addr);
}

#[test]
fn event_loop_16_mib_line_is_refused_at_max_line_length() {
    let server = event_loop();
    let _memory = MEMORY.write().unwrap_or_else(|e| e.into_inner());
    let before = own_rss_kib();
    faults::long_line_refused(server.addr, server.reported());
    let grew = own_rss_kib().saturating_sub(before);
    assert!(grew < 8 * 1024, "RSS grew by {grew} KiB");
}

#[test]
fn event_loop_not_utf8() {
    let _memory = memory_shared();
    faults::not_utf8(event_loop().addr);
}

#[test]
fn event_loop_panic_storm() {
    let _memory = memory_shared();
    let server = event_loop();
    faults::panic_storm(server.addr, STORM, server.reported());
}

/// HTTP: the same faults in HTTP's terms, on a threading HTTP server.
#[cfg(feature = "http")]
mod http_server {
    use super::*;
    use socketserver::event::EventLoopTcpServer;
    use socketserver::http::{HttpEvents, HttpHandler, HttpRequest, ThreadingHttpServer};
    use std::io::BufReader;
    use support::faults::{BIG, CHUNK, PANIC_MESSAGE, XS};
    use support::http::{read_response, Client};
    use support::http_app::Mode;
    use support::{connect, connect_small_buffer};

    /// `GET /hello`: `hello`; `GET /big`: [`BIG`] bytes; `GET /panic`: a panic;
    /// `POST /echo`: the body back.
    #[derive(Default)]
    struct Web;

    fn reply(req: &mut HttpRequest<'_>, body: &[u8]) -> std::io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Length", body.len())?;
        req.end_headers()?;
        req.wfile().write_all(body)
    }

    impl HttpHandler for Web {
        fn do_get(&mut self, req: &mut HttpRequest<'_>) -> std::io::Result<()> {
            match req.path() {
                "/hello" => reply(req, b"hello"),
                "/big" => {
                    req.send_response(200)?;
                    req.send_header("Content-Length", BIG)?;
                    req.end_headers()?;
                    for _ in 0..BIG / CHUNK {
                        req.wfile().write_all(&XS)?;
                    }
                    Ok(())
                }
                "/panic" => panic!("{PANIC_MESSAGE}"),
                _ => req.send_error(404, None),
            }
        }

        fn do_post(&mut self, req: &mut HttpRequest<'_>) -> std::io::Result<()> {
            let body = req.read_body()?;
            reply(req, &body)
        }
    }

    fn http(mode: Mode) -> Running {
        match mode {
            Mode::Threading => serve(ThreadingHttpServer::builder(), Web::default),
            Mode::EventLoop => serve(
                EventLoopTcpServer::builder().disable_nagle_algorithm(true),
                || HttpEvents::new(Web),
            ),
        }
    }

    const HELLO: &[u8] = b"GET /hello HTTP/1.1\r\nHost: fault\r\n\r\n";

    fn hello(addr: SocketAddr) {
        let response = Client::connect(addr).request(HELLO);
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"hello"[..])
        );
    }

    fn reset_mid_request(mode: Mode) {
        let _memory = memory_shared();
        let server = http(mode);
        for _ in 0..20 {
            let mut stream = connect(server.addr);
            stream
                .write_all(b"GET /hello HTTP/1.1\r\nHost: fa")
                .unwrap();
            faults::reset(stream);
        }
        hello(server.addr);
    }

    fn reset_mid_reply(mode: Mode) {
        let _memory = memory_shared();
        let server = http(mode);
        for _ in 0..5 {
            let mut stream = connect_small_buffer(server.addr);
            stream
                .write_all(b"GET /big HTTP/1.1\r\nHost: fault\r\n\r\n")
                .unwrap();
            let mut first = [0; 1024];
            stream
                .read_exact(&mut first)
                .expect("the start of the reply");
            assert!(first.starts_with(b"HTTP/1.1 200"));
            faults::reset(stream);
        }
        hello(server.addr);
    }

    fn half_close(mode: Mode) {
        let _memory = memory_shared();
        let server = http(mode);
        let mut client = Client::connect(server.addr);
        client.send(HELLO);
        client.send(b"GET /big HTTP/1.1\r\nHost: fault\r\n\r\n");
        client
            .reader
            .get_ref()
            .shutdown(std::net::Shutdown::Write)
            .unwrap();
        assert_eq!(client.response().body, b"hello");
        let big = client.response();
        assert_eq!(big.body.len(), BIG, "the whole second response");
        assert!(client.is_closed());
    }

    fn slowloris(mode: Mode) {
        let _memory = memory_shared();
        let server = http(mode);
        let (slow, finished) = faults::start_slowloris(
            server.addr,
            b"GET /hello HTTP/1.1\r\nHost: fault\r\nX-Slow: ",
            b"a\r\n\r\n",
        );
        hello(server.addr);
        assert!(
            !finished.load(Ordering::SeqCst),
            "the fast client waited for the slow one"
        );
        let stream = slow.join().unwrap().expect("the slow request sent");
        let response = read_response(&mut BufReader::new(stream), false).unwrap();
        assert_eq!(response.body, b"hello");
    }

    fn request_line_of_16_mib_is_414(mode: Mode) {
        let server = http(mode);
        let _memory = MEMORY.write().unwrap_or_else(|e| e.into_inner());
        let before = own_rss_kib();
        let stream = connect(server.addr);
        let sender = {
            let mut stream = stream.try_clone().unwrap();
            thread::spawn(move || {
                let piece = vec![b'a'; CHUNK];
                let mut sent = stream.write_all(b"GET /").is_ok();
                for _ in 0..(16 << 20) / CHUNK {
                    sent = sent && stream.write_all(&piece).is_ok();
                }
                sent
            })
        };
        let response = read_response(&mut BufReader::new(&stream), false).unwrap();
        assert_eq!(response.status, 414);
        let all_sent = sender.join().unwrap();
        assert!(!all_sent, "the server read all 16 MiB instead of closing");
        let grew = own_rss_kib().saturating_sub(before);
        assert!(grew < 8 * 1024, "RSS grew by {grew} KiB");
        hello(server.addr);
    }

    /// A body of every byte value comes back byte-exact; a path with bytes that are not UTF-8
    /// (percent-encoding is how a URL carries them) is refused with 400, not a crash.
    fn not_utf8_body_and_path(mode: Mode) {
        let _memory = memory_shared();
        let server = http(mode);
        let body: Vec<u8> = (0..=255u8).chain(*b"\xff\xfe\xc0\x80").collect();
        let mut request = format!(
            "POST /echo HTTP/1.1\r\nHost: fault\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        let mut client = Client::connect(server.addr);
        let response = client.request(&request);
        assert_eq!(response.status, 200);
        assert!(response.body == body, "byte-exact");
        let response =
            Client::connect(server.addr).request(b"GET /\xff\xfe HTTP/1.1\r\nHost: f\r\n\r\n");
        assert_eq!(response.status, 400);
        hello(server.addr);
    }

    fn panic_storm(mode: Mode) {
        let _memory = memory_shared();
        faults::quiet_panics();
        let server = http(mode);
        let reported = server.reported();
        for _ in 0..STORM {
            let response =
                Client::connect(server.addr).request(b"GET /panic HTTP/1.1\r\nHost: fault\r\n\r\n");
            assert_eq!(response.status, 500);
        }
        assert!(
            support::wait_until(IO_TIMEOUT, || reported() >= STORM),
            "{} of {STORM} panics reported",
            reported()
        );
        hello(server.addr);
    }

    in_every_mode!(
        reset_mid_request,
        reset_mid_reply,
        half_close,
        slowloris,
        request_line_of_16_mib_is_414,
        not_utf8_body_and_path,
        panic_storm,
    );
}

// SIGTERM under load: the examples, each a process of its own.

/// The contract: exit 0 within 3 s of the signal.
const EXIT_LIMIT: Duration = Duration::from_secs(3);
/// Fewer than `pool_echo_server`'s 10 workers, so that every client is being served.
const LOAD_CLIENTS: usize = 8;

/// Clients in a loop of round trips (`ask` sends and returns the reply it read, or `None`
/// once the server has gone), SIGTERM once each has had 5 replies; every reply must be
/// whole, and the server exit 0 within 3 s.
fn sigterm_under_load(
    name: &str,
    ask: fn(SocketAddr, &mut TcpStream, usize) -> Result<bool, String>,
) {
    let mut server = support::example::ExampleServer::start(name, &[]);
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    // How many clients have had 5 replies.
    let replies = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..LOAD_CLIENTS)
        .map(|i| {
            let (stop, replies) = (Arc::clone(&stop), Arc::clone(&replies));
            thread::spawn(move || -> Result<usize, String> {
                let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
                stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    match ask(addr, &mut stream, i * 1_000_000 + n) {
                        Ok(true) => {
                            n += 1;
                            if n == 5 {
                                replies.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Ok(false) => return Ok(n), // the server ended the connection
                        Err(cut) => return Err(format!("client {i}: {cut}")),
                    }
                }
                Ok(n)
            })
        })
        .collect();
    assert!(support::wait_until(IO_TIMEOUT, || replies
        .load(Ordering::SeqCst)
        == LOAD_CLIENTS));
    let status = server.stop_with(libc::SIGTERM, EXIT_LIMIT);
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap().expect("every reply whole");
    }
    assert_eq!(status.code(), Some(0), "{name}: {status}");
}

/// One echo round trip: `Ok(false)` when the connection ended before a byte of the reply
/// (a request the server never read), an error for a reply cut short or wrong.
fn echo_round_trip(_: SocketAddr, stream: &mut TcpStream, n: usize) -> Result<bool, String> {
    let line = format!("line {n} {}\n", "e".repeat(n % 3000));
    if stream.write_all(line.as_bytes()).is_err() {
        return Ok(false);
    }
    let mut back = Vec::new();
    let mut byte = [0; 4096];
    while back.len() < line.len() {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) if back.is_empty() => return Ok(false),
            Ok(0) => return Err(format!("reply cut after {} bytes", back.len())),
            Err(err) => return Err(format!("reply cut after {} bytes: {err}", back.len())),
            Ok(k) => back.extend_from_slice(&byte[..k]),
        }
    }
    if back == line.as_bytes() {
        Ok(true)
    } else {
        Err(format!("wrong reply {:?}", String::from_utf8_lossy(&back)))
    }
}

#[test]
fn sigterm_under_load_echo_server() {
    let _memory = memory_shared();
    sigterm_under_load("echo_server", echo_round_trip);
}

#[test]
fn sigterm_under_load_pool_echo_server() {
    let _memory = memory_shared();
    sigterm_under_load("pool_echo_server", echo_round_trip);
}

#[test]
fn sigterm_under_load_forking_echo_server() {
    let _memory = memory_shared();
    sigterm_under_load("forking_echo_server", echo_round_trip);
}

#[test]
fn sigterm_under_load_select_echo_server() {
    let _memory = memory_shared();
    sigterm_under_load("select_echo_server", echo_round_trip);
}

/// The iterative example greets and hangs up: each round trip is a connection.
#[test]
fn sigterm_under_load_hello_server() {
    let _memory = memory_shared();
    sigterm_under_load("hello_server", |addr, _, _| {
        let Ok(mut fresh) = TcpStream::connect(addr) else {
            return Ok(false); // the server has stopped listening
        };
        let mut greeting = Vec::new();
        let _ = fresh.set_read_timeout(Some(IO_TIMEOUT));
        match fresh.read_to_end(&mut greeting) {
            Ok(_) if greeting.is_empty() => Ok(false),
            Ok(_) if greeting == b"Server Saying Hi\n" => Ok(true),
            Ok(_) => Err(format!("greeting {:?}", String::from_utf8_lossy(&greeting))),
            Err(_) if greeting.is_empty() => Ok(false),
            Err(err) => Err(err.to_string()),
        }
    });
}

/// Keep-alive requests for the page of the MJPEG example.
#[cfg(feature = "http")]
#[test]
fn sigterm_under_load_mjpeg_server() {
    let _memory = memory_shared();
    sigterm_under_load("mjpeg_server", |_, stream, _| {
        if stream
            .write_all(b"GET /index.html HTTP/1.1\r\nHost: fault\r\n\r\n")
            .is_err()
        {
            return Ok(false);
        }
        let mut reader = std::io::BufReader::new(&*stream);
        match read_response(&mut reader, false) {
            Ok(response) if response.status == 200 && !response.body.is_empty() => {
                assert!(reader.buffer().is_empty(), "one response per request");
                Ok(true)
            }
            Ok(response) => Err(format!("status {}", response.status)),
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                // A close before any byte is a request never read; a cut head is a loss.
                if err.to_string().contains("\"\"") {
                    Ok(false)
                } else {
                    Err(err.to_string())
                }
            }
            Err(_) => Ok(false),
        }
    });
}
