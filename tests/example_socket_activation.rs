//! Socket activation, systemd's convention, as the server examples honour it: with
//! `LISTEN_FDS=1` and `LISTEN_PID` set to its own pid, a server serves descriptor 3
//! instead of binding, and prints that socket's address. Several instances serving one
//! inherited socket share its queue of new connections: stopping one of them with SIGTERM
//! refuses no connection and loses no reply.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use support::example::ExampleServer;
use support::{connect, wait_until, IO_TIMEOUT};

/// One short conversation: connect, send a line, read it back, close.
fn echo_once(addr: SocketAddr, n: usize) -> Result<(), String> {
    let stream = std::net::TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .map_err(|err| format!("connect {n}: {err}"))?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let line = format!("message {n}\n");
    (&stream)
        .write_all(line.as_bytes())
        .map_err(|err| format!("send {n}: {err}"))?;
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .map_err(|err| format!("reply {n}: {err}"))?;
    if reply == line {
        Ok(())
    } else {
        Err(format!("reply {n}: {reply:?}"))
    }
}

#[test]
fn a_server_serves_the_socket_it_inherits() {
    for example in [
        "echo_server",
        "select_echo_server",
        "forking_echo_server",
        "pool_echo_server",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut server = ExampleServer::start_activated(example, &listener, &["-p", "1"]);
        // Port 1 was not bound: the inherited socket is served, and announced.
        assert_eq!(server.addr, addr, "{example}");
        drop(listener); // the server's copy keeps the socket listening
        let mut client = connect(addr);
        assert_eq!(
            support::round_trip(&mut client, "hello\n"),
            "hello\n",
            "{example}"
        );
        drop(client);
        assert_eq!(
            server
                .stop_with(libc::SIGTERM, Duration::from_secs(3))
                .code(),
            Some(0)
        );
    }
}

#[test]
fn stopping_one_of_two_instances_refuses_no_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut first = ExampleServer::start_activated("echo_server", &listener, &[]);
    let mut second = ExampleServer::start_activated("echo_server", &listener, &[]);
    drop(listener);

    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (stop, served) = (Arc::clone(&stop), Arc::clone(&served));
            thread::spawn(move || -> Result<usize, String> {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    echo_once(addr, c * 1_000_000 + n)?;
                    n += 1;
                    served.fetch_add(1, Ordering::Relaxed);
                }
                Ok(n)
            })
        })
        .collect();

    assert!(wait_until(IO_TIMEOUT, || served.load(Ordering::Relaxed) >= 200));
    let status = first.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
    // The other instance goes on taking connections from the shared queue.
    let after = served.load(Ordering::Relaxed);
    assert!(wait_until(IO_TIMEOUT, || served.load(Ordering::Relaxed) >= after + 200));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let conversations = client.join().unwrap().expect("every conversation answered");
        assert!(conversations > 0);
    }
    assert_eq!(
        second
            .stop_with(libc::SIGTERM, Duration::from_secs(3))
            .code(),
        Some(0)
    );
}
