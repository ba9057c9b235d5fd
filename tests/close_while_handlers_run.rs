//! Closing a threading server while handlers still run: `block_on_close` waits for them,
//! `daemon_threads` does not, and `close_connections` ends idle clients' handlers.

mod support;

use std::io::{self, BufRead};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use socketserver::{StreamRequest, ThreadingTcpServer};
use support::{connect, round_trip, wait_until, IO_TIMEOUT};

/// Tells the test when it started, then blocks until the test releases it.
fn blocking_server(
    daemon: bool,
) -> (
    ThreadingTcpServer<impl socketserver::StreamHandler>,
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(started_tx);
    let release_rx = std::sync::Arc::new(Mutex::new(release_rx));
    let server = ThreadingTcpServer::builder()
        .daemon_threads(daemon)
        .bind("127.0.0.1:0", move || {
            let started = started_tx.lock().unwrap().clone();
            let release = std::sync::Arc::clone(&release_rx);
            move |_: &mut StreamRequest| {
                started.send(()).unwrap();
                let _ = release.lock().unwrap().recv();
                Ok(())
            }
        })
        .unwrap();
    (server, started_rx, release_tx)
}

#[test]
fn block_on_close_waits_for_running_handlers() {
    let (server, started, release) = blocking_server(false);
    let _client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    started.recv_timeout(IO_TIMEOUT).unwrap();

    let (closed_tx, closed_rx) = mpsc::channel();
    let closer = std::thread::spawn(move || {
        server.server_close();
        closed_tx.send(()).unwrap();
    });
    // Still waiting while the handler runs (a bounded look, not a synchronisation).
    assert!(closed_rx.recv_timeout(Duration::from_millis(200)).is_err());
    release.send(()).unwrap();
    closed_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("server_close returned after the handler");
    closer.join().unwrap();
}

#[test]
fn daemon_threads_do_not_delay_closing() {
    let (server, started, release) = blocking_server(true);
    let addr = server.local_addr().unwrap();
    let _client = connect(addr);
    assert!(server.handle_request().unwrap());
    started.recv_timeout(IO_TIMEOUT).unwrap();

    let (closed_tx, closed_rx) = mpsc::channel();
    std::thread::spawn(move || {
        server.server_close();
        closed_tx.send(()).unwrap();
    });
    closed_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("server_close returned while the handler still runs");
    // The socket is closed even though the handler lives on.
    assert_eq!(
        std::net::TcpStream::connect(addr).unwrap_err().kind(),
        io::ErrorKind::ConnectionRefused
    );
    release.send(()).unwrap();
}

#[test]
fn close_connections_ends_idle_clients_and_lets_the_server_close() {
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || support::echo_lines).unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    let server = std::sync::Arc::new(server);
    let serving = {
        let server = std::sync::Arc::clone(&server);
        std::thread::spawn(move || server.serve_forever())
    };
    // Three clients stay connected and idle after one exchange each.
    let mut clients: Vec<_> = (0..3).map(|_| connect(addr)).collect();
    for client in &mut clients {
        assert_eq!(round_trip(client, "hi\n"), "hi\n");
    }
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 3));
    handle.shutdown();
    serving.join().unwrap().unwrap();
    assert_eq!(server.close_connections(), 3);
    assert!(wait_until(IO_TIMEOUT, || server.active_threads() == 0));
    // Closing no longer waits on anybody.
    std::sync::Arc::try_unwrap(server)
        .ok()
        .unwrap()
        .server_close();
    for client in clients {
        let mut rest = String::new();
        io::BufReader::new(client).read_line(&mut rest).unwrap();
        assert_eq!(rest, "", "the client sees the connection end");
    }
}
