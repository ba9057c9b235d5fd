//! `close_connections` on a forking server: the children of idle clients end their requests (their
//! reads see end-of-file) and exit normally, a child in the middle of a reply still sends
//! all of it, and datagram children are left to finish. A graceful stop ends the children
//! of clients that have talked at once, and gives a silent client the grace to send its
//! first request, and serves a client still queued in the listen backlog.
//!
//! This binary forks: it runs with `harness = false` (see `support::fork`). Connection
//! timeouts are longer than any wait here, so only `close_connections` can end an idle
//! child in time.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use socketserver::{
    DatagramRequest, ForkingTcpServer, ForkingUdpServer, StreamHandler, StreamRequest,
};
use support::fork::{capture_logs, children, greeting_pid, logged, zombies};
use support::{connect, served_from_the_backlog_at_the_stop, wait_until, Serving, IO_TIMEOUT};

/// Longer than every wait in these tests: a child that ends, ends because it was asked.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(50);

fn main() {
    capture_logs();
    support::fork::run(&[
        (
            "idle_children_end_their_requests_and_exit_normally",
            idle_children_end_their_requests_and_exit_normally,
        ),
        (
            "a_child_in_the_middle_of_a_reply_sends_all_of_it",
            a_child_in_the_middle_of_a_reply_sends_all_of_it,
        ),
        (
            "a_graceful_stop_ends_talking_clients_first_and_lets_a_silent_one_send",
            a_graceful_stop_ends_talking_clients_first_and_lets_a_silent_one_send,
        ),
        (
            "datagram_children_are_left_to_finish",
            datagram_children_are_left_to_finish,
        ),
        (
            "a_client_in_the_backlog_is_served",
            a_client_in_the_backlog_is_served,
        ),
    ]);
}

fn start<H: StreamHandler>(handler: fn() -> H) -> (Arc<ForkingTcpServer<H>>, Serving) {
    let server = ForkingTcpServer::builder()
        .connection_timeout(Some(CONNECTION_TIMEOUT))
        .bind("127.0.0.1:0", handler)
        .unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, serving)
}

/// Stops the loop, then hands back the server alone (the serving thread let go of it).
fn stop_serving<H: StreamHandler>(
    server: Arc<ForkingTcpServer<H>>,
    serving: Serving,
) -> ForkingTcpServer<H> {
    serving.stop().unwrap();
    Arc::into_inner(server).expect("the serving thread let go")
}

/// Whether `pid` is still running (not exited; a zombie has exited).
fn running(pid: i32) -> bool {
    children()
        .iter()
        .any(|&(p, state)| p == pid && state != 'Z')
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a line");
    line
}

/// Greets with its pid, echoes lines, says `bye` at end-of-file.
fn greet_echo_bye(req: &mut StreamRequest) -> std::io::Result<()> {
    writeln!(req.wfile, "hello {}", std::process::id())?;
    req.wfile.flush()?;
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        req.wfile.flush()?;
        line.clear();
    }
    req.wfile.write_all(b"bye\n")
}

/// A client of `greet_echo_bye`, greeted: its stream, a reader on it, its child's pid.
fn greeted(addr: std::net::SocketAddr) -> (TcpStream, BufReader<TcpStream>, i32) {
    let stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let hello = read_line(&mut reader);
    let pid = greeting_pid(&hello, "hello ");
    (stream, reader, pid)
}

fn idle_children_end_their_requests_and_exit_normally() {
    let (server, serving) = start(|| greet_echo_bye);
    let addr = server.local_addr().unwrap();
    let mut clients: Vec<_> = (0..3).map(|_| greeted(addr)).collect();
    // Each is served and then idle.
    for (stream, reader, _) in &mut clients {
        stream.write_all(b"ping\n").unwrap();
        assert_eq!(read_line(reader), "ping\n");
    }
    let server = stop_serving(server, serving);
    assert_eq!(server.close_connections(), 3);
    for (_, reader, pid) in &mut clients {
        assert_eq!(
            read_line(reader),
            "bye\n",
            "child {pid} finished its handler"
        );
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "then closed the connection");
    }
    for &(_, _, pid) in &clients {
        assert!(
            wait_until(IO_TIMEOUT, || !running(pid)),
            "child {pid} still runs"
        );
    }
    server.server_close();
    for &(_, _, pid) in &clients {
        assert!(
            logged(&format!("DEBUG child {pid} exited")),
            "child {pid} exited with status 0 (not killed)"
        );
    }
    assert!(zombies().is_empty());
}

fn a_graceful_stop_ends_talking_clients_first_and_lets_a_silent_one_send() {
    let (server, serving) = start(|| greet_echo_bye);
    let addr = server.local_addr().unwrap();
    let (mut talker, mut talker_reader, talker_pid) = greeted(addr);
    talker.write_all(b"ping\n").unwrap();
    assert_eq!(read_line(&mut talker_reader), "ping\n");
    // Greeted, and has sent nothing yet: its first request may be on its way.
    let (mut silent, mut silent_reader, silent_pid) = greeted(addr);
    let server = stop_serving(server, serving);
    let stopping = std::thread::spawn(move || server.close_gracefully());
    assert_eq!(
        read_line(&mut talker_reader),
        "bye\n",
        "the client that talked is ended at once"
    );
    assert!(
        wait_until(IO_TIMEOUT, || !running(talker_pid)),
        "the talker's child exits"
    );
    // Still within the grace (100 ms): the silent client's child has not been asked to
    // end (when every child was asked at once, its `bye` was here by now).
    silent.set_nonblocking(true).unwrap();
    let waiting = silent.peek(&mut [0; 8]).map_err(|e| e.kind());
    assert_eq!(
        waiting,
        Err(std::io::ErrorKind::WouldBlock),
        "silent one kept"
    );
    silent.set_nonblocking(false).unwrap();
    silent.write_all(b"late\n").unwrap();
    assert_eq!(
        read_line(&mut silent_reader),
        "late\n",
        "the silent client's first request is served"
    );
    assert_eq!(read_line(&mut silent_reader), "bye\n", "then it is ended");
    assert_eq!(stopping.join().unwrap(), 0, "nothing left at the deadline");
    for pid in [talker_pid, silent_pid] {
        assert!(
            logged(&format!("DEBUG child {pid} exited")),
            "child {pid} exited with status 0 (not killed)"
        );
    }
    assert!(zombies().is_empty());
}

/// More than the socket buffers on both sides hold: the child is still writing when it
/// is asked to close.
const REPLY_LEN: usize = 8 << 20;

fn a_child_in_the_middle_of_a_reply_sends_all_of_it() {
    let (server, serving) = start(|| {
        |req: &mut StreamRequest| {
            req.rfile.read_line(&mut String::new())?;
            req.wfile.write_all(b"begin\n")?;
            req.wfile.flush()?;
            let body: Vec<u8> = (0..REPLY_LEN).map(|i| b'a' + (i % 26) as u8).collect();
            req.wfile.write_all(&body)?;
            req.wfile.write_all(b"\nend\n")?;
            req.wfile.flush()?;
            // Then idle, as the next request would be.
            while req.rfile.read_line(&mut String::new())? > 0 {}
            Ok(())
        }
    });
    let mut client = connect(server.local_addr().unwrap());
    client.write_all(b"go\n").unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    assert_eq!(read_line(&mut reader), "begin\n");
    // The client reads nothing more until the child has been asked to close.
    let server = stop_serving(server, serving);
    assert_eq!(server.close_connections(), 1);
    let mut reply = Vec::new();
    reader.read_to_end(&mut reply).unwrap();
    assert_eq!(
        reply.len(),
        REPLY_LEN + 5,
        "the whole reply, then the close"
    );
    assert!(reply.ends_with(b"\nend\n"));
    assert!(reply[..REPLY_LEN]
        .iter()
        .enumerate()
        .all(|(i, &b)| b == b'a' + (i % 26) as u8));
    server.server_close();
    assert!(logged("DEBUG child") && !logged("killed by signal"));
    assert!(zombies().is_empty());
}

fn datagram_children_are_left_to_finish() {
    // The child waits for a go-ahead on a TCP connection to this test before replying.
    let gate = TcpListener::bind("127.0.0.1:0").unwrap();
    let gate_addr = gate.local_addr().unwrap();
    let server = ForkingUdpServer::bind("127.0.0.1:0", move || {
        move |req: &mut DatagramRequest| {
            let stream = TcpStream::connect(gate_addr)?;
            stream.set_read_timeout(Some(CONNECTION_TIMEOUT))?;
            let go = read_line(&mut BufReader::new(stream));
            req.wfile.write_all(format!("done after {go}").as_bytes())
        }
    })
    .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    client
        .send_to(b"work", server.local_addr().unwrap())
        .unwrap();
    assert!(server.handle_request().unwrap());
    let (mut child, _) = gate.accept().unwrap(); // the child is in its handler
    assert_eq!(server.close_connections(), 0);
    child.write_all(b"go\n").unwrap();
    let mut buf = [0; 64];
    let n = client.recv(&mut buf).expect("the child's reply");
    assert_eq!(&buf[..n], b"done after go\n");
    server.server_close();
    assert!(!logged("killed by signal"));
    assert!(zombies().is_empty());
}

/// A client that connected after `serve_forever` returned, and before the stop closed
/// the socket, is served by a child of its own.
fn a_client_in_the_backlog_is_served() {
    let server = ForkingTcpServer::builder()
        .bind("127.0.0.1:0", || support::echo_lines)
        .unwrap();
    let reply = served_from_the_backlog_at_the_stop(server, b"queued\n", 7);
    assert_eq!(reply, b"queued\n");
}
