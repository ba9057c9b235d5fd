//! The echo protocol that `echo_server`, `pool_echo_server`, `forking_echo_server` and
//! `select_echo_server` share (EXAMPLES.md): every line comes back byte for byte, CRLF,
//! empty, non-UTF-8 and 1 MiB lines included, and `quit` closes the connection. Each
//! check takes the address of a running server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;

use super::{connect, round_trip};

/// Text lines of every kind, then a line that is not UTF-8, on one connection.
pub fn echoes_lines_byte_exact(addr: SocketAddr) {
    let mut client = connect(addr);
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

/// A 1 MiB line, sent while its echo is read (neither side may wait for the other).
pub fn echoes_a_one_mebibyte_line(addr: SocketAddr) {
    let client = connect(addr);
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

/// `quit` ends the connection; echoing it first is allowed, nothing else is. Returns what
/// came after `quit`, for servers that promise more.
pub fn quit_closes_the_connection(addr: SocketAddr) -> Vec<u8> {
    let mut client = connect(addr);
    assert_eq!(round_trip(&mut client, "before\n"), "before\n");
    client.write_all(b"quit\n").unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty() || rest == b"quit\n", "after quit: {rest:?}");
    rest
}
