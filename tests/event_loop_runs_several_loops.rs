//! An event-loop server with several loops (`.loops(n)`): every loop serves a share of
//! 1000 short connections, echo stays byte-exact with clients on every loop, one shutdown
//! (from outside or from a handler on any loop) ends them all, TLS and PROXY headers work
//! on every loop, a graceful stop loses no reply in progress on any loop, and a socket
//! without `SO_REUSEPORT` is shared by the loops instead.

mod support;

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use support::{connect, IO_TIMEOUT};

/// The loop a handler runs on: its thread's name (the first loop runs on the thread that
/// serves, named `event-loop-0` by these tests).
fn this_loop() -> String {
    thread::current().name().unwrap_or("unnamed").to_owned()
}

/// Greets with its loop's name and its thread's kernel id, then echoes bytes; `stop` on a line of its own shuts the
/// server down from the handler; `big N` queues N bytes of a pattern.
struct Tagged;

impl EventHandler for Tagged {
    fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        // SAFETY: gettid takes no arguments and cannot fail.
        let tid = unsafe { libc::gettid() };
        ctx.send(format!("{} {tid}\n", this_loop()).as_bytes());
        Ok(())
    }

    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        if data == b"stop\n" {
            ctx.shutdown_handle().shutdown();
        } else if let Some(n) = data.strip_prefix(b"big ") {
            let n: usize = std::str::from_utf8(n).unwrap().trim().parse().unwrap();
            ctx.send(&pattern(n));
        } else {
            ctx.send(data);
        }
        Ok(())
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A server with `loops` loops, serving on a thread named `event-loop-0`.
struct Running {
    addr: SocketAddr,
    server: Arc<EventLoopTcpServer<Tagged>>,
    serving: Option<thread::JoinHandle<socketserver::Result<()>>>,
}

impl Running {
    fn start(server: EventLoopTcpServer<Tagged>) -> Self {
        let addr = server.local_addr().unwrap();
        let server = Arc::new(server);
        let serving = {
            let server = Arc::clone(&server);
            thread::Builder::new()
                .name("event-loop-0".to_owned())
                .spawn(move || server.serve_forever())
                .unwrap()
        };
        Running {
            addr,
            server,
            serving: Some(serving),
        }
    }

    fn with_loops(loops: usize) -> Self {
        Self::start(
            EventLoopTcpServer::builder()
                .loops(loops)
                .bind("127.0.0.1:0", || Tagged)
                .unwrap(),
        )
    }

    /// Waits (bounded) for `serve_forever` to return, and returns what it returned.
    fn join(&mut self) -> socketserver::Result<()> {
        let serving = self.serving.take().expect("still serving");
        let deadline = Instant::now() + IO_TIMEOUT;
        while !serving.is_finished() {
            assert!(Instant::now() < deadline, "serve_forever did not return");
            thread::sleep(Duration::from_millis(5)); // polling a join, not synchronising
        }
        serving.join().expect("the serving thread panicked")
    }

    /// Shuts down, checks that `serve_forever` returned `Ok`, and hands the server over.
    fn into_stopped(mut self) -> EventLoopTcpServer<Tagged> {
        self.server.shutdown_handle().shutdown();
        self.join().unwrap();
        let server = Arc::clone(&self.server);
        drop(self);
        Arc::try_unwrap(server).unwrap_or_else(|_| panic!("the only reference"))
    }

    fn stop(mut self) -> socketserver::Result<()> {
        self.server.shutdown_handle().shutdown();
        self.join()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(serving) = self.serving.take() {
            self.server.shutdown_handle().shutdown();
            let _ = serving.join();
        }
    }
}

/// Connects and reads the greeting: the name of the loop that took the connection.
fn connect_to_loop(addr: SocketAddr) -> (String, BufReader<TcpStream>) {
    let (name, _, reader) = connect_to_thread(addr);
    (name, reader)
}

/// Connects and reads the greeting: the loop's name and its thread's kernel id.
fn connect_to_thread(addr: SocketAddr) -> (String, i32, BufReader<TcpStream>) {
    let mut reader = BufReader::new(connect(addr));
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    let (name, tid) = greeting
        .trim_end()
        .split_once(' ')
        .unwrap_or_else(|| panic!("no greeting: {greeting:?}"));
    (name.to_owned(), tid.parse().unwrap(), reader)
}

/// Connects until a connection lands on `wanted` (bounded).
fn connect_until_loop(addr: SocketAddr, wanted: &str) -> BufReader<TcpStream> {
    for _ in 0..500 {
        let (name, reader) = connect_to_loop(addr);
        if name == wanted {
            return reader;
        }
    }
    panic!("no connection reached {wanted} in 500 tries");
}

#[test]
fn every_loop_serves_a_share_of_1000_short_connections() {
    let loops = 3;
    let running = Running::with_loops(loops);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..1000 {
        let (name, _) = connect_to_loop(running.addr);
        *counts.entry(name).or_default() += 1;
    }
    eprintln!("connections per loop, 1000 sequential: {counts:?}");
    let expected: Vec<String> = (0..loops).map(|i| format!("event-loop-{i}")).collect();
    assert_eq!(counts.keys().cloned().collect::<Vec<_>>(), expected);
    // The kernel hashes each connection to a listener: about 333 each; a loop under half
    // of its share would mean the spread is not working (binomial: never by chance).
    for (name, count) in &counts {
        assert!(
            *count > 1000 / loops / 2,
            "{name} served only {count}: {counts:?}"
        );
    }
    assert_eq!(running.server.stats().accepted, 1000);
    running.stop().unwrap();
}

#[test]
fn echo_is_byte_exact_with_clients_on_every_loop_at_once() {
    let running = Running::with_loops(2);
    let addr = running.addr;
    let clients: Vec<_> = (0..16)
        .map(|i| {
            thread::spawn(move || {
                let (name, mut reader) = connect_to_loop(addr);
                for line in [
                    format!("client {i}\r\n").into_bytes(),
                    b"\n".to_vec(),
                    b"caf\xc3\xa9 \x00\xff\n".to_vec(),
                ] {
                    reader.get_mut().write_all(&line).unwrap();
                    let mut echoed = vec![0; line.len()];
                    reader.read_exact(&mut echoed).unwrap();
                    assert_eq!(echoed, line);
                }
                // 1 MiB: past the output limit, so backpressure works on this loop too.
                let big = pattern(1 << 20);
                let mut writer = reader.get_ref().try_clone().unwrap();
                let sending = thread::spawn(move || writer.write_all(&big).map(|_| big));
                let mut echoed = vec![0; 1 << 20];
                reader.read_exact(&mut echoed).unwrap();
                assert!(echoed == sending.join().unwrap().unwrap(), "1 MiB echo");
                name
            })
        })
        .collect();
    let names: std::collections::BTreeSet<String> =
        clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(names.len(), 2, "16 clients, both loops: {names:?}");
    running.stop().unwrap();
}

#[test]
fn one_shutdown_ends_every_loop_and_closing_refuses_new_clients() {
    let loops = 3;
    let running = Running::with_loops(loops);
    let addr = running.addr;
    // A connection on every loop, each noting its loop's thread.
    let mut threads = BTreeMap::new();
    let mut held = Vec::new();
    for _ in 0..500 {
        let (name, tid, reader) = connect_to_thread(addr);
        threads.insert(name, tid);
        held.push(reader);
        if threads.len() == loops {
            break;
        }
    }
    assert_eq!(threads.len(), loops, "every loop took a connection");
    let server = running.into_stopped();
    // A joined thread's task can linger a moment while the kernel reaps it.
    let deadline = Instant::now() + IO_TIMEOUT;
    for (name, tid) in &threads {
        let task = format!("/proc/self/task/{tid}");
        while std::path::Path::new(&task).exists() {
            assert!(Instant::now() < deadline, "{name} outlived the shutdown");
            thread::sleep(Duration::from_millis(5)); // polling /proc, not synchronising
        }
    }
    // Closing the server closes every listening socket and every connection.
    drop(server);
    for mut reader in held {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
    for _ in 0..20 {
        let refused = TcpStream::connect(addr);
        assert!(refused.is_err(), "a listener of a loop is still open");
    }
}

#[test]
fn a_handler_on_another_loop_stops_them_all_without_deadlock() {
    let mut running = Running::with_loops(2);
    let mut reader = connect_until_loop(running.addr, "event-loop-1");
    reader.get_mut().write_all(b"stop\n").unwrap();
    running.join().unwrap();
}

#[test]
fn serving_again_after_a_shutdown_resumes_the_connections_of_every_loop() {
    let loops = 2;
    let mut running = Running::with_loops(loops);
    let mut held: Vec<_> = (0..loops)
        .map(|i| connect_until_loop(running.addr, &format!("event-loop-{i}")))
        .collect();
    running.server.shutdown_handle().shutdown();
    running.join().unwrap();
    let server = Arc::clone(&running.server);
    let again = thread::spawn(move || server.serve_forever());
    for reader in &mut held {
        reader.get_mut().write_all(b"still here\n").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "still here\n");
    }
    running.server.shutdown_handle().shutdown();
    again.join().unwrap().unwrap();
}

#[test]
fn a_graceful_stop_loses_no_reply_in_progress_on_any_loop() {
    let loops = 2;
    let running = Running::with_loops(loops);
    let addr = running.addr;
    let size = 8 << 20; // far more than the socket buffers: still queued at the stop
    let mut readers: Vec<_> = (0..loops)
        .map(|i| {
            let mut reader = connect_until_loop(addr, &format!("event-loop-{i}"));
            reader
                .get_mut()
                .write_all(format!("big {size}\n").as_bytes())
                .unwrap();
            // The reply has started: the first bytes are here.
            let mut first = [0; 1];
            reader.read_exact(&mut first).unwrap();
            assert_eq!(first[0], 0);
            reader
        })
        .collect();
    let server = running.into_stopped();
    let (closed_tx, closed_rx) = mpsc::channel();
    let closing = thread::spawn(move || {
        let left = server.close_gracefully();
        closed_tx.send(()).unwrap();
        left
    });
    for reader in &mut readers {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), size - 1, "the whole reply, then the end");
        assert!(rest == pattern(size)[1..], "byte-exact");
    }
    closed_rx.recv_timeout(IO_TIMEOUT).unwrap();
    assert_eq!(
        closing.join().unwrap(),
        0,
        "nothing was cut at the deadline"
    );
}

#[test]
fn a_socket_without_reuse_port_is_shared_by_the_loops() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = EventLoopTcpServer::builder()
        .loops(2)
        .from_socket(listener, || Tagged)
        .unwrap();
    let running = Running::start(server);
    let addr = running.addr;
    // Concurrent clients, so that both loops are woken and both accept some.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn(move || {
                (0..50)
                    .map(|_| {
                        let (name, mut reader) = connect_to_loop(addr);
                        reader.get_mut().write_all(b"ping\n").unwrap();
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        assert_eq!(line, "ping\n");
                        name
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut served = 0;
    for client in clients {
        served += client.join().unwrap().len();
    }
    assert_eq!(served, 400);
    assert_eq!(running.server.stats().accepted, 400);
    running.stop().unwrap();
}

#[cfg(feature = "tls")]
#[test]
fn tls_and_proxy_headers_work_on_every_loop() {
    use socketserver::proxy::ProxyProtocol;
    use socketserver::tls::TlsConfig;
    use support::tls::{certs, round_trip};

    /// Greets with its loop and the client's address (the PROXY header's source).
    struct Where;
    impl EventHandler for Where {
        fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
            ctx.send(format!("{} {}\n", this_loop(), ctx.peer_addr()).as_bytes());
            Ok(())
        }
        fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
            ctx.send(data);
            Ok(())
        }
    }

    let certs = certs();
    let server = EventLoopTcpServer::builder()
        .loops(2)
        .tls(TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap())
        .proxy_protocol(ProxyProtocol::new())
        .bind("127.0.0.1:0", || Where)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    let serving = thread::Builder::new()
        .name("event-loop-0".to_owned())
        .spawn(move || server.serve_forever())
        .unwrap();
    let client_config = certs.client_config(false);
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200u16 {
        let source: SocketAddr = format!("192.0.2.7:{}", 1000 + i).parse().unwrap();
        let header = if i % 2 == 0 {
            support::proxy::v2(source, addr, None)
        } else {
            support::proxy::v1(source, addr)
        };
        let mut tcp = connect(addr);
        tcp.write_all(&header).unwrap();
        // The balancer's header in plaintext, then the client's handshake.
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(Arc::clone(&client_config), name).unwrap();
        let mut client = rustls::StreamOwned::new(conn, tcp);
        let greeting = round_trip(&mut client, b"");
        let greeting = String::from_utf8(greeting).unwrap();
        let (name, peer) = greeting.trim_end().split_once(' ').unwrap();
        assert_eq!(
            peer,
            source.to_string(),
            "the header's source is the client"
        );
        assert_eq!(round_trip(&mut client, b"hello\n"), b"hello\n");
        seen.insert(name.to_owned());
        if seen.len() == 2 && i >= 20 {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "both loops served TLS after PROXY: {seen:?}");
    handle.shutdown();
    serving.join().unwrap().unwrap();
}
