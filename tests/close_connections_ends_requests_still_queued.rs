//! `close_connections` also ends requests that were accepted before it but start being
//! served after it (waiting for a pool worker), so closing the server does not wait on
//! their idle clients; and a server that serves again after it serves as usual.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{mpsc, Arc};
use std::thread;

use socketserver::{PoolTcpServer, StreamRequest, ThreadingTcpServer};
use support::{connect, round_trip, wait_until, Serving, IO_TIMEOUT};

/// Greets, echoes lines until end-of-file, then says goodbye.
fn greet_echo_bye(req: &mut StreamRequest) -> std::io::Result<()> {
    req.wfile.write_all(b"served\n")?;
    req.wfile.flush()?;
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        req.wfile.flush()?;
        line.clear();
    }
    req.wfile.write_all(b"bye\n")
}

fn lines(stream: &TcpStream) -> impl Iterator<Item = String> + '_ {
    BufReader::new(stream)
        .lines()
        .map(|line| line.expect("a line"))
}

#[test]
fn a_request_waiting_for_a_worker_is_ended_as_it_starts() {
    let server = PoolTcpServer::builder()
        .max_workers(1)
        .bind("127.0.0.1:0", || greet_echo_bye)
        .unwrap();
    let server = Arc::new(server);
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let running = connect(addr);
    assert_eq!(lines(&running).next().as_deref(), Some("served"));
    let mut queued = connect(addr);
    queued.write_all(b"sent while queued\n").unwrap();
    assert!(wait_until(IO_TIMEOUT, || server.queued_requests() == 1));
    serving.stop().unwrap();

    let server = Arc::into_inner(server).expect("the serving thread let go");
    assert_eq!(
        server.close_connections(),
        1,
        "only the running one is open"
    );
    let (closed, done) = mpsc::channel();
    thread::spawn(move || {
        server.server_close();
        closed.send(()).unwrap();
    });
    // Both clients stay connected; both requests end.
    let running: Vec<_> = lines(&running).collect();
    assert_eq!(running, ["bye"]);
    // The queued request still gets what it sent before the close, then the end.
    let queued: Vec<_> = lines(&queued).collect();
    assert_eq!(queued, ["served", "sent while queued", "bye"]);
    done.recv_timeout(IO_TIMEOUT)
        .expect("server_close waited on an idle client");
}

#[test]
fn after_close_connections_a_server_that_serves_again_serves_as_usual() {
    let server = Arc::new(ThreadingTcpServer::bind("127.0.0.1:0", || greet_echo_bye).unwrap());
    let addr = server.local_addr().unwrap();
    let serve = |server: &Arc<ThreadingTcpServer<_>>| {
        let server = Arc::clone(server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let serving = serve(&server);
    let first = connect(addr);
    assert_eq!(lines(&first).next().as_deref(), Some("served"));
    serving.stop().unwrap();
    assert_eq!(server.close_connections(), 1);
    assert_eq!(lines(&first).collect::<Vec<_>>(), ["bye"]);

    let serving = serve(&server);
    let mut second = connect(addr);
    assert_eq!(lines(&second).next().as_deref(), Some("served"));
    assert_eq!(round_trip(&mut second, "still here\n"), "still here\n");
    drop(second);
    serving.stop().unwrap();
}
