//! Load the threading server: 200 concurrent clients, a burst of 1,000 connections opened
//! at once, and `max_threads` holding the rest in the backlog.

mod support;

use std::io::{BufRead, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::Duration;

use socketserver::{StreamRequest, ThreadingTcpServer};
use support::{connect, echo_lines, round_trip, wait_until, Hooks, Serving, IO_TIMEOUT};

/// Lets this process hold a few thousand sockets (both ends live here).
fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on a valid struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max.min(65536);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

#[test]
fn two_hundred_concurrent_clients_are_all_served() {
    raise_fd_limit();
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || echo_lines).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    const CLIENTS: usize = 200;
    // Every client is connected before any sends: 200 handlers are live at once.
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut stream = connect(addr);
                barrier.wait();
                (0..5)
                    .map(|round| round_trip(&mut stream, &format!("client {i} round {round}\n")))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        let replies = client.join().unwrap();
        let expected: Vec<_> = (0..5).map(|r| format!("client {i} round {r}\n")).collect();
        assert_eq!(replies, expected);
    }
    serving.stop().unwrap();
}

#[test]
fn a_burst_of_1000_connections_is_served_with_none_refused() {
    raise_fd_limit();
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || echo_lines).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    // Open all connections before any is used: they pile up in the listen backlog.
    let streams: Vec<TcpStream> = (0..1000).map(|_| connect(addr)).collect();
    let mut served = 0;
    for (i, mut stream) in streams.into_iter().enumerate() {
        let line = format!("burst {i}\n");
        assert_eq!(round_trip(&mut stream, &line), line);
        served += 1;
    }
    assert_eq!(served, 1000);
    serving.stop().unwrap();
}

/// Python never bounded its threads; with `max_threads(2)` a third client waits in the
/// backlog until one of the first two leaves.
#[test]
fn max_threads_holds_the_third_client_until_a_handler_returns() {
    let turns = Arc::new(AtomicUsize::new(0));
    let turns_seen = Arc::clone(&turns);
    let (started_tx, started_rx) = mpsc::channel::<String>();
    let started_tx = Mutex::new(started_tx);
    let factory = Hooks::new(move || {
        let started = started_tx.lock().unwrap().clone();
        move |req: &mut StreamRequest| {
            let mut name = String::new();
            req.rfile.read_line(&mut name)?;
            started.send(name.trim().to_owned()).unwrap();
            echo_lines(req)
        }
    })
    .service_actions(move || {
        turns_seen.fetch_add(1, Ordering::SeqCst);
    });
    let server = ThreadingTcpServer::builder()
        .poll_interval(Duration::from_millis(5))
        .max_threads(Some(2))
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let mut a = connect(addr);
    a.write_all(b"a\n").unwrap();
    let mut b = connect(addr);
    b.write_all(b"b\n").unwrap();
    let mut first_two = [
        started_rx.recv_timeout(IO_TIMEOUT).unwrap(),
        started_rx.recv_timeout(IO_TIMEOUT).unwrap(),
    ];
    first_two.sort();
    assert_eq!(first_two, ["a", "b"]);

    let mut c = connect(addr);
    c.write_all(b"c\n").unwrap();
    // Give the loop several turns in which it could have taken `c`.
    let seen = turns.load(Ordering::SeqCst);
    assert!(wait_until(IO_TIMEOUT, || turns.load(Ordering::SeqCst) >= seen + 3));
    assert_eq!(server.active_threads(), 2);
    assert!(
        started_rx.try_recv().is_err(),
        "c was served past the limit"
    );

    drop(a); // a's handler sees end-of-file and returns: c takes its slot
    assert_eq!(started_rx.recv_timeout(IO_TIMEOUT).unwrap(), "c");
    assert_eq!(round_trip(&mut c, "served\n"), "served\n");
    assert_eq!(round_trip(&mut b, "still\n"), "still\n");
    drop((b, c));
    serving.stop().unwrap();
    assert!(wait_until(IO_TIMEOUT, || server.active_threads() == 0));
}
