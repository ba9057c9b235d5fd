//! `examples/pool_echo_server.rs` as a user drives it: byte-exact echo and `quit`, the
//! `--workers` limit (a client past it is served once a worker frees), SIGTERM with
//! served and waiting clients still connected, and a Python client written the lecture's
//! way.

mod support;

use std::time::Duration;

use support::drive::LineClient;
use support::example::ExampleServer;
use support::programs::{argv, python};
use support::{connect, echo_protocol};

/// How long a client past the limit is watched for an echo it must not get yet.
const NOT_YET: Duration = Duration::from_millis(500);

#[test]
fn echoes_lines_byte_exact() {
    let server = ExampleServer::start("pool_echo_server", &[]);
    echo_protocol::echoes_lines_byte_exact(server.addr);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("pool_echo_server", &[]);
    echo_protocol::echoes_a_one_mebibyte_line(server.addr);
}

#[test]
fn quit_closes_the_connection() {
    let server = ExampleServer::start("pool_echo_server", &[]);
    let rest = echo_protocol::quit_closes_the_connection(server.addr);
    assert!(rest.is_empty(), "nothing after quit, got {rest:?}");
}

#[test]
fn a_client_past_the_workers_limit_is_served_when_a_worker_frees() {
    let server = ExampleServer::start("pool_echo_server", &["--workers", "2"]);
    let mut first = LineClient::connect(server.addr);
    let mut second = LineClient::connect(server.addr);
    assert_eq!(first.ask("one\n"), "one\n");
    assert_eq!(second.ask("two\n"), "two\n");

    // Both workers are busy with connected clients: the third waits.
    let mut third = LineClient::connect(server.addr);
    third.send("three\n");
    assert_eq!(third.line_within(NOT_YET), None, "echoed past --workers 2");
    // The two served clients are still served meanwhile.
    assert_eq!(first.ask("still\n"), "still\n");
    assert_eq!(third.line_within(NOT_YET), None, "echoed past --workers 2");

    first.send("quit\n"); // frees a worker
    assert_eq!(third.next_line(), "three\n");
    assert_eq!(third.ask("again\n"), "again\n");
    assert_eq!(second.ask("two again\n"), "two again\n");

    // And the next one waits for a worker again.
    let mut fourth = LineClient::connect(server.addr);
    fourth.send("four\n");
    assert_eq!(fourth.line_within(NOT_YET), None, "echoed past --workers 2");
    drop(second); // a client that just goes away frees its worker too
    assert_eq!(fourth.next_line(), "four\n");
}

#[test]
fn sigterm_with_served_and_waiting_clients_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("pool_echo_server", &["--workers", "2"]);
    let mut served: Vec<_> = (0..2).map(|_| LineClient::connect(server.addr)).collect();
    for client in &mut served {
        assert_eq!(client.ask("hi\n"), "hi\n");
    }
    // One client waits for a worker, idle; another has sent a line it waits on.
    let _idle_waiting = connect(server.addr);
    let mut asking = LineClient::connect(server.addr);
    asking.send("pending\n");
    assert_eq!(asking.line_within(NOT_YET), None);
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigint_exits_zero() {
    let mut server = ExampleServer::start("pool_echo_server", &[]);
    let status = server.stop_with(libc::SIGINT, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn python_lecture_clients_get_their_echoes() {
    let server = ExampleServer::start("pool_echo_server", &["--workers", "3"]);
    // Written the way the lectures write clients: create_connection, send, recv(1024);
    // three connected at once, each served by its own worker.
    let script = r#"
import socket, sys
addr = (sys.argv[1], int(sys.argv[2]))
socks = [socket.create_connection(addr, timeout=10) for _ in range(3)]
for i, sock in enumerate(socks):
    for msg in ["hello %d" % i, "안녕하세요"]:
        sock.send((msg + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            data += sock.recv(1024)
        print(data.decode(), end="")
for sock in socks:
    sock.send(b"quit\n")
    assert sock.recv(1024) == b""
    sock.close()
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(
            out,
            "hello 0\n안녕하세요\nhello 1\n안녕하세요\nhello 2\n안녕하세요\n"
        );
    }
}
