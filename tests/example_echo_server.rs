//! `examples/echo_server.rs` as a user drives it: byte-exact echo (CRLF, empty and binary
//! lines, 1 MiB lines), `quit`, SIGTERM/SIGINT with clients still connected, and the
//! clients users already have: Python's `socket`, `nc` and `socat`.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use support::example::ExampleServer;
use support::programs::{have, nc, python, socat};
use support::{connect, round_trip, skip};

#[test]
fn echoes_lines_byte_exact() {
    let server = ExampleServer::start("echo_server", &[]);
    let mut client = connect(server.addr);
    for line in ["hello\n", "crlf kept\r\n", "\n", "\r\n", "héllo wörld\n"] {
        assert_eq!(round_trip(&mut client, line), line);
    }
    let binary = b"\x00\xff\xfe not utf-8 \x80\n";
    client.write_all(binary).unwrap();
    let mut reply = Vec::new();
    BufReader::new(&client)
        .read_until(b'\n', &mut reply)
        .unwrap();
    assert_eq!(reply, binary);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("echo_server", &[]);
    let client = connect(server.addr);
    let mut line: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    line.push(b'\n');
    let mut writer = client.try_clone().unwrap();
    let sent = line.clone();
    let sender = std::thread::spawn(move || writer.write_all(&sent).unwrap());
    let mut reply = Vec::new();
    BufReader::new(&client)
        .read_until(b'\n', &mut reply)
        .unwrap();
    sender.join().unwrap();
    assert!(
        reply == line,
        "1 MiB line not echoed exactly ({} bytes back)",
        reply.len()
    );
}

#[test]
fn quit_closes_the_connection() {
    let server = ExampleServer::start("echo_server", &[]);
    let mut client = connect(server.addr);
    assert_eq!(round_trip(&mut client, "before\n"), "before\n");
    client.write_all(b"quit\n").unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
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
