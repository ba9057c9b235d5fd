//! Ports of CPython's `Lib/test/test_socketserver.py`, one test per Python case, named
//! after it. The forking cases live in their own test binaries (forking is unsafe in a
//! process with other threads).

mod support;

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use socketserver::{
    Error, StreamRequest, TcpServer, ThreadingTcpServer, ThreadingUdpServer,
    ThreadingUnixDatagramServer, ThreadingUnixStreamServer, UdpServer, UnixDatagramServer,
    UnixStreamServer,
};
use support::{
    dgram_examine, echo_datagram, echo_line, run_server, stream_examine, unix_dgram_examine,
    unix_stream_examine, wait_until, Hooks, IO_TIMEOUT,
};

/// Python's `make_server` turns every handler error into a test failure.
fn fail_on_error(client: &socketserver::Address, err: &Error) {
    panic!("handler error for {client}: {err}");
}

/// Python asserts `server.socket.fileno() == -1`; here: nobody listens on the address.
fn assert_refused(addr: std::net::SocketAddr) {
    let err = std::net::TcpStream::connect(addr).expect_err("the listening socket is closed");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn test_tcp_server() {
    let server = TcpServer::builder()
        .poll_interval(Duration::from_millis(10))
        .bind(
            "127.0.0.1:0",
            Hooks::new(|| echo_line).on_error(fail_on_error),
        )
        .unwrap();
    let addr = server.local_addr().unwrap();
    assert_eq!(server.info().server_address().as_inet(), Some(addr));
    run_server(server, |_| stream_examine(addr));
    // run_server closed the server: nothing listens there any more.
    assert_refused(addr);
}

#[test]
fn test_threading_tcp_server() {
    let server = ThreadingTcpServer::bind(
        "127.0.0.1:0",
        Hooks::new(|| echo_line).on_error(fail_on_error),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    run_server(server, |_| stream_examine(addr));
    assert_refused(addr);
}

#[test]
fn test_unix_stream_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let server = UnixStreamServer::bind(&path, || echo_line).unwrap();
    run_server(server, |_| unix_stream_examine(&path));
    assert!(
        !path.exists(),
        "the server removes its socket file when closed"
    );
}

#[test]
fn test_threading_unix_stream_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let server = ThreadingUnixStreamServer::bind(&path, || echo_line).unwrap();
    run_server(server, |_| unix_stream_examine(&path));
    assert!(!path.exists());
}

#[test]
fn test_udp_server() {
    let server = UdpServer::bind("127.0.0.1:0", || echo_datagram).unwrap();
    let addr = server.local_addr().unwrap();
    run_server(server, |_| dgram_examine(addr));
}

#[test]
fn test_threading_udp_server() {
    let server = ThreadingUdpServer::bind("127.0.0.1:0", || echo_datagram).unwrap();
    let addr = server.local_addr().unwrap();
    run_server(server, |_| dgram_examine(addr));
}

#[test]
fn test_unix_datagram_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let server = UnixDatagramServer::bind(&path, || echo_datagram).unwrap();
    run_server(server, |n| unix_dgram_examine(&path, dir.path(), n));
}

#[test]
fn test_threading_unix_datagram_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let server = ThreadingUnixDatagramServer::bind(&path, || echo_datagram).unwrap();
    run_server(server, |n| unix_dgram_examine(&path, dir.path(), n));
}

/// Issue #2302: a shutdown issued right after the serving thread starts (possibly before
/// `serve_forever` runs) must still end it.
#[test]
fn test_shutdown() {
    let servings: Vec<_> = (0..20)
        .map(|_| {
            let server = TcpServer::bind("127.0.0.1:0", || echo_line).unwrap();
            let handle = server.shutdown_handle();
            (handle, std::thread::spawn(move || server.serve_forever()))
        })
        .collect();
    for (handle, thread) in servings {
        handle.shutdown();
        thread.join().unwrap().unwrap();
    }
}

#[test]
fn test_close_immediately() {
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || echo_line).unwrap();
    server.server_close();
}

/// Issue #22435: a failing bind must not leak the socket.
#[test]
fn test_tcpserver_bind_leak() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let before = open_fds();
    for _ in 0..1024 {
        let err = TcpServer::bind(addr, || echo_line).unwrap_err();
        assert!(
            matches!(&err, Error::Bind { source, .. } if source.kind() == io::ErrorKind::AddrInUse),
            "{err}"
        );
    }
    // Other tests open descriptors concurrently: allow them some slack, not 1024.
    assert!(open_fds() < before + 64, "bind failures leaked descriptors");
}

/// Python's `with TCPServer(...)`: leaving the scope closes the socket.
#[test]
fn test_context_manager() {
    let addr = {
        let server = TcpServer::bind("127.0.0.1:0", || echo_line).unwrap();
        server.local_addr().unwrap()
    };
    assert_refused(addr);
}

/// A handler error under `handle_request` reaches `handle_error` (ErrorHandlerTest).
#[test]
fn test_sync_handled() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (handler_log, error_log) = (Arc::clone(&log), Arc::clone(&log));
    let factory = Hooks::new(move || {
        let log = Arc::clone(&handler_log);
        move |_: &mut StreamRequest| {
            log.lock().unwrap().push("Handler called".to_owned());
            Err(io::Error::other("ValueError"))
        }
    })
    .on_error(move |_, err| {
        error_log
            .lock()
            .unwrap()
            .push(format!("Error handled: {err}"))
    });
    let server = TcpServer::bind("127.0.0.1:0", factory).unwrap();
    let _client = support::connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    assert_eq!(
        *log.lock().unwrap(),
        ["Handler called", "Error handled: ValueError"]
    );
}

/// The threading variant: the error is handled on the handler's thread.
#[test]
fn test_threading_handled() {
    let (tx, rx) = mpsc::channel();
    let factory = Hooks::new(|| |_: &mut StreamRequest| Err(io::Error::other("ValueError")))
        .on_error(move |_, err| tx.send(err.to_string()).unwrap());
    let server = ThreadingTcpServer::bind("127.0.0.1:0", factory).unwrap();
    let _client = support::connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    assert_eq!(rx.recv_timeout(IO_TIMEOUT).unwrap(), "ValueError");
}

/// `SocketWriterTest.test_write`: `wfile` reaches the client without an explicit flush
/// (it collects writes and sends them when the handler next reads, as here, or returns),
/// and a large write is delivered whole.
#[test]
fn test_socket_writer_write() {
    const BIG: usize = 4 << 20;
    let server = TcpServer::bind("127.0.0.1:0", || {
        |req: &mut StreamRequest| {
            req.wfile.write_all(b"write data\n")?;
            // Only once the client saw the first write does it answer.
            let mut ack = String::new();
            req.rfile.read_line(&mut ack)?;
            req.wfile.write_all(&vec![b'x'; BIG])
        }
    })
    .unwrap();
    let mut client = support::connect(server.local_addr().unwrap());
    let serving = std::thread::spawn(move || server.handle_request());
    let mut first = [0; 11];
    client.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"write data\n");
    client.write_all(b"ack\n").unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert_eq!(rest.len(), BIG);
    assert!(serving.join().unwrap().unwrap());
}

/// Issue #26309: a request refused by `verify_request` is shut down, once, and the
/// handler never runs.
#[test]
fn test_shutdown_request_called_if_verify_request_false() {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let factory = Hooks::new(move || {
        let counter = Arc::clone(&counter);
        move |_: &mut StreamRequest| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .verify(|_| false);
    let server = TcpServer::bind("127.0.0.1:0", factory).unwrap();
    let mut client = support::connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    let mut buf = Vec::new();
    // The refused connection was shut down: the client reads end-of-file.
    assert_eq!(client.read_to_end(&mut buf).unwrap(), 0);
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

/// Issue #37193: finished handler threads are not kept.
#[test]
fn test_threads_reaped() {
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || echo_line).unwrap();
    let addr = server.local_addr().unwrap();
    for _ in 0..10 {
        let mut client = support::connect(addr);
        assert!(server.handle_request().unwrap());
        assert_eq!(support::round_trip(&mut client, "x\n"), "x\n");
        client.shutdown(Shutdown::Both).unwrap();
    }
    assert!(wait_until(IO_TIMEOUT, || server.active_threads() == 0));
}
