//! Options and hooks: `handle_request` timeouts, `service_actions`, buffered `wfile`,
//! per-connection timeouts, Nagle, and adopting an existing listener.

mod support;

use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use socketserver::{Error, StreamRequest, TcpServer};
use support::{connect, echo_line, round_trip, wait_until, Hooks, Serving, IO_TIMEOUT};

#[test]
fn handle_request_times_out_and_calls_handle_timeout() {
    let timeouts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&timeouts);
    let factory = Hooks::new(|| echo_line).handle_timeout(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let server = TcpServer::builder()
        .timeout(Some(Duration::from_millis(20)))
        .bind("127.0.0.1:0", factory)
        .unwrap();
    assert!(!server.handle_request().unwrap());
    assert!(!server.handle_request().unwrap());
    assert_eq!(timeouts.load(Ordering::SeqCst), 2);
    // A waiting client is handled instead.
    let mut client = connect(server.local_addr().unwrap());
    client.write_all(b"x\n").unwrap();
    assert!(server.handle_request().unwrap());
    assert_eq!(timeouts.load(Ordering::SeqCst), 2);
}

#[test]
fn service_actions_run_while_idle() {
    let turns = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&turns);
    let factory = Hooks::new(|| echo_line).service_actions(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let server = TcpServer::builder()
        .poll_interval(Duration::from_millis(1))
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    assert!(wait_until(IO_TIMEOUT, || turns.load(Ordering::SeqCst) >= 5));
    serving.stop().unwrap();
}

#[test]
fn a_buffered_wfile_is_flushed_after_finish() {
    let server = TcpServer::builder()
        .wbufsize(64 * 1024)
        .bind("127.0.0.1:0", || {
            |req: &mut StreamRequest| {
                for i in 0..100 {
                    writeln!(req.wfile, "line {i}")?;
                }
                Ok(()) // no flush: the server flushes after finish
            }
        })
        .unwrap();
    let mut client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    let mut all = String::new();
    client.read_to_string(&mut all).unwrap();
    assert_eq!(all.lines().count(), 100);
    assert_eq!(all.lines().last(), Some("line 99"));
}

#[test]
fn connection_timeout_ends_a_silent_client_with_an_error() {
    let (tx, rx) = mpsc::channel();
    let factory = Hooks::new(|| echo_line).on_error(move |_, err| {
        let timed_out = matches!(err, Error::Io(e) if matches!(
            e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut));
        tx.send(timed_out).unwrap();
    });
    let server = TcpServer::builder()
        .connection_timeout(Some(Duration::from_millis(50)))
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let _silent = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    assert!(
        rx.try_recv().unwrap(),
        "the read timed out and was reported"
    );
}

#[test]
fn disable_nagle_algorithm_sets_nodelay() {
    let server = TcpServer::builder()
        .disable_nagle_algorithm(true)
        .bind("127.0.0.1:0", || {
            |req: &mut StreamRequest| {
                let nodelay = req.connection().as_tcp().unwrap().nodelay()?;
                writeln!(req.wfile, "{nodelay}")
            }
        })
        .unwrap();
    let mut client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    let mut reply = String::new();
    client.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "true\n");
}

/// Socket activation: serve on a listener someone else bound.
#[test]
fn from_listener_serves_an_adopted_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = TcpServer::builder()
        .from_socket(listener, || echo_line)
        .unwrap();
    assert_eq!(server.local_addr().unwrap(), addr);
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let mut client = connect(addr);
    assert_eq!(round_trip(&mut client, "adopted\n"), "adopted\n");
    serving.stop().unwrap();
}

#[test]
fn allow_reuse_address_lets_a_restarted_server_rebind_its_port() {
    let first = TcpServer::builder()
        .allow_reuse_address(true)
        .bind("127.0.0.1:0", || echo_line)
        .unwrap();
    let addr = first.local_addr().unwrap();
    // Leave a server-closed connection behind (TIME_WAIT), as a restarted server would.
    let mut client = connect(addr);
    client.write_all(b"x\n").unwrap();
    assert!(first.handle_request().unwrap());
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    drop(first);
    let second = TcpServer::builder()
        .allow_reuse_address(true)
        .bind(addr, || echo_line)
        .expect("rebinding with SO_REUSEADDR");
    assert_eq!(second.local_addr().unwrap(), addr);
}

#[test]
fn a_name_that_resolves_to_nothing_is_a_clear_error() {
    let err = TcpServer::bind(&[][..] as &[std::net::SocketAddr], || echo_line).unwrap_err();
    assert!(matches!(err, Error::NoAddress(_)), "{err}");
}

#[test]
fn allow_reuse_port_lets_two_servers_share_a_port() {
    let first = TcpServer::builder()
        .allow_reuse_port(true)
        .bind("127.0.0.1:0", || echo_line)
        .unwrap();
    let addr = first.local_addr().unwrap();
    let second = TcpServer::builder()
        .allow_reuse_port(true)
        .bind(addr, || echo_line)
        .expect("SO_REUSEPORT allows a second listener");
    assert_eq!(second.local_addr().unwrap(), addr);
    // Without the option the port is taken.
    let err = TcpServer::bind(addr, || echo_line).unwrap_err();
    assert!(
        matches!(&err, Error::Bind { source, .. } if source.kind() == io::ErrorKind::AddrInUse),
        "{err}"
    );
}

#[test]
fn allow_reuse_port_lets_two_event_loops_share_a_port() {
    use socketserver::event::{Context, EventHandler, EventLoopTcpServer};

    /// Answers every line with which of the two servers it is.
    struct Name(&'static [u8]);
    impl EventHandler for Name {
        fn on_line(&mut self, ctx: &mut Context<'_>, _line: &[u8]) -> io::Result<()> {
            ctx.send(self.0);
            Ok(())
        }
    }

    let first = EventLoopTcpServer::builder()
        .allow_reuse_port(true)
        .bind("127.0.0.1:0", || Name(b"first\n"))
        .unwrap();
    let addr = first.local_addr().unwrap();
    let second = EventLoopTcpServer::builder()
        .allow_reuse_port(true)
        .bind(addr, || Name(b"second\n"))
        .expect("SO_REUSEPORT allows a second listener");
    let err = EventLoopTcpServer::builder()
        .bind(addr, || Name(b"third\n"))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Bind { source, .. } if source.kind() == io::ErrorKind::AddrInUse),
        "{err}"
    );
    let (first, second) = (Arc::new(first), Arc::new(second));
    let serving: Vec<Serving> = [&first, &second]
        .into_iter()
        .map(|server| {
            let server = Arc::clone(server);
            Serving::start(server.shutdown_handle(), move || server.serve_forever())
        })
        .collect();
    // The kernel spreads connections over both listeners by their source port: within a
    // few dozen, both must have answered.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..64 {
        let mut client = connect(addr);
        seen.insert(round_trip(&mut client, "who\n"));
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "both event loops served: {seen:?}");
    for serving in serving {
        serving.stop().unwrap();
    }
}
