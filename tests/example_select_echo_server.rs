//! `examples/select_echo_server.rs` as a user drives it: one thread serves every client
//! with byte-exact echo (CRLF, empty and binary lines, 1 MiB lines), `quit` closes, and
//! SIGTERM with clients still connected exits 0 within three seconds.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use support::example::ExampleServer;
use support::{connect, round_trip};

#[test]
fn echoes_lines_byte_exact_for_many_clients_at_once() {
    let server = ExampleServer::start("select_echo_server", &[]);
    let mut clients: Vec<_> = (0..20).map(|_| connect(server.addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        for line in [
            format!("client {i}\r\n"),
            "\n".to_owned(),
            format!("é {i}\n"),
        ] {
            assert_eq!(round_trip(client, &line), line);
        }
    }
    let binary = b"\x00\xff not utf-8 \x80\n";
    clients[0].write_all(binary).unwrap();
    let mut reply = Vec::new();
    BufReader::new(&clients[0])
        .read_until(b'\n', &mut reply)
        .unwrap();
    assert_eq!(reply, binary);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("select_echo_server", &[]);
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
    let server = ExampleServer::start("select_echo_server", &[]);
    let mut client = connect(server.addr);
    assert_eq!(round_trip(&mut client, "before\n"), "before\n");
    client.write_all(b"quit\n").unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    // Echoing `quit` before closing is allowed by the contract; nothing else may follow.
    assert!(rest.is_empty() || rest == b"quit\n", "after quit: {rest:?}");
}

#[test]
fn sigterm_with_idle_clients_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("select_echo_server", &[]);
    let mut clients: Vec<_> = (0..5).map(|_| connect(server.addr)).collect();
    for client in &mut clients {
        assert_eq!(round_trip(client, "hi\n"), "hi\n");
    }
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}
