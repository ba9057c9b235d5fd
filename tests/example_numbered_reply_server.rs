//! `examples/numbered_reply_server.rs` as a user drives it: the Nth line on a connection
//! is answered `server response N`, each connection counting on its own; lecture-style
//! Python and `nc` clients; SIGTERM with a client connected.

mod support;

use std::time::Duration;

use support::drive::LineClient;
use support::example::ExampleServer;
use support::programs::{argv, have, nc, python};
use support::skip;

#[test]
fn numbers_replies_per_connection() {
    let server = ExampleServer::start("numbered_reply_server", &[]);
    let mut first = LineClient::connect(server.addr);
    let mut second = LineClient::connect(server.addr);
    assert_eq!(first.ask("a\n"), "server response 1\n");
    assert_eq!(first.ask("b\n"), "server response 2\n");
    assert_eq!(second.ask("a\n"), "server response 1\n");
    assert_eq!(first.ask("c\n"), "server response 3\n");
    assert_eq!(second.ask("안녕\n"), "server response 2\n");
}

#[test]
fn lines_sent_together_get_a_reply_each() {
    let server = ExampleServer::start("numbered_reply_server", &[]);
    let mut client = LineClient::connect(server.addr);
    client.send("one\ntwo\nthree\n");
    for n in 1..=3 {
        assert_eq!(client.next_line(), format!("server response {n}\n"));
    }
    let long = "x".repeat(1 << 20) + "\n"; // one line, however many reads it takes
    client.send(&long);
    assert_eq!(client.next_line(), "server response 4\n");
}

#[test]
fn sigterm_with_a_client_connected_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("numbered_reply_server", &[]);
    let mut client = LineClient::connect(server.addr);
    assert_eq!(client.ask("hi\n"), "server response 1\n");
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_python_lecture_client_gets_numbered_replies() {
    let server = ExampleServer::start("numbered_reply_server", &[]);
    // TCP_client.py's way: connect, send, recv(1024), print.
    let script = r#"
import sys
from socket import *
sock = socket(AF_INET, SOCK_STREAM)
sock.settimeout(10)
sock.connect((sys.argv[1], int(sys.argv[2])))
for msg in ["hello", "world"]:
    sock.send((msg + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        data += sock.recv(1024)
    print(data.decode(), end="")
sock.close()
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(out, "server response 1\nserver response 2\n");
    }
}

#[test]
fn nc_gets_numbered_replies() {
    if !have("nc") {
        skip("nc not found");
        return;
    }
    let server = ExampleServer::start("numbered_reply_server", &[]);
    assert_eq!(
        nc(server.addr, b"a\nb\n"),
        b"server response 1\nserver response 2\n"
    );
}
