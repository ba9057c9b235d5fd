//! `examples/echo_server.rs` as a user drives it: byte-exact echo (CRLF, empty and binary
//! lines, 1 MiB lines), `quit`, SIGTERM/SIGINT with clients still connected, and the
//! clients users already have: Python's `socket`, `nc` and `socat`.

mod support;

use std::time::Duration;

use support::example::ExampleServer;
use support::programs::{have, nc, python, socat};
use support::{connect, echo_protocol, round_trip, skip};

#[test]
fn echoes_lines_byte_exact() {
    let server = ExampleServer::start("echo_server", &[]);
    echo_protocol::echoes_lines_byte_exact(server.addr);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("echo_server", &[]);
    echo_protocol::echoes_a_one_mebibyte_line(server.addr);
}

#[test]
fn quit_closes_the_connection() {
    let server = ExampleServer::start("echo_server", &[]);
    let rest = echo_protocol::quit_closes_the_connection(server.addr);
    assert!(rest.is_empty(), "nothing after quit, got {rest:?}");
}

#[test]
fn sigterm_with_idle_clients_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("echo_server", &[]);
    let mut clients: Vec<_> = (0..3).map(|_| connect(server.addr)).collect();
    for client in &mut clients {
        assert_eq!(round_trip(client, "hi\n"), "hi\n");
    }
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigint_exits_zero() {
    let mut server = ExampleServer::start("echo_server", &[]);
    let status = server.stop_with(libc::SIGINT, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_python_lecture_client_gets_its_echo() {
    let server = ExampleServer::start("echo_server", &[]);
    // Written the way the lectures write clients: create_connection, send, recv(1024).
    let script = format!(
        r#"
import socket
sock = socket.create_connection(("{ip}", {port}), timeout=10)
for msg in ["hello", "안녕하세요", "bye"]:
    sock.send((msg + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        data += sock.recv(1024)
    print(data.decode(), end="")
sock.send(b"quit\n")
assert sock.recv(1024) == b""
sock.close()
"#,
        ip = server.addr.ip(),
        port = server.addr.port()
    );
    if let Some(out) = python(&script, &[]) {
        assert_eq!(out, "hello\n안녕하세요\nbye\n");
    }
}

#[test]
fn nc_and_socat_get_their_echo() {
    let server = ExampleServer::start("echo_server", &[]);
    let input = b"one\ntwo\nquit\n";
    let mut ran = 0;
    if have("nc") {
        assert_eq!(nc(server.addr, input), b"one\ntwo\n");
        ran += 1;
    }
    if have("socat") {
        let tcp = format!("TCP:{}:{}", server.addr.ip(), server.addr.port());
        assert_eq!(socat(5, &tcp, input), b"one\ntwo\n");
        ran += 1;
    }
    if ran == 0 {
        skip("neither nc nor socat is installed");
    }
}

/// A server that cannot bind says where and why in one line on stderr, prints nothing on
/// stdout, and exits with code 2.
#[test]
fn a_port_in_use_is_one_line_on_stderr_and_exit_code_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut child = std::process::Command::new(support::example::example_path("echo_server"))
        .args(["-p", &port])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = support::example::wait_exit(&mut child, Duration::from_secs(20));
    let mut out = String::new();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2));
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!("error: cannot bind 127.0.0.1:{port}: address already in use\n")
    );
}
