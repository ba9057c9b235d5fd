//! `examples/udp_echo_server.rs` as users drive it: every datagram comes back to its
//! sender unchanged (empty and binary ones included), to several clients at once; a
//! lecture-style Python client, `socat`; SIGTERM.

mod support;

use std::time::Duration;

use support::example::ExampleServer;
use support::programs::{argv, have, python, socat};
use support::{skip, udp_client};

#[test]
fn each_datagram_comes_back_to_its_sender_unchanged() {
    let server = ExampleServer::start("udp_echo_server", &[]);
    let (a, b) = (udp_client(), udp_client());
    let big = vec![b'x'; 8192]; // the server's max_packet_size
    let datagrams: [&[u8]; 5] = [
        b"hello",
        "안녕하세요".as_bytes(),
        b"\x00\xff\r\n",
        b"",
        &big,
    ];
    for datagram in datagrams {
        // Both send before either reads: each gets its own back.
        a.send_to(datagram, server.addr).unwrap();
        b.send_to(b"from b", server.addr).unwrap();
        let mut buf = vec![0; 9000];
        let (n, from) = a.recv_from(&mut buf).expect("echo to a");
        assert_eq!((&buf[..n], from), (datagram, server.addr));
        let (n, _) = b.recv_from(&mut buf).expect("echo to b");
        assert_eq!(&buf[..n], b"from b");
    }
}

#[test]
fn sigterm_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("udp_echo_server", &[]);
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_python_lecture_client_gets_its_echo() {
    let server = ExampleServer::start("udp_echo_server", &[]);
    let script = r#"
import sys, socket
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(10)
for msg in ["hello", "안녕하세요"]:
    sock.sendto(msg.encode(), (sys.argv[1], int(sys.argv[2])))
    data, addr = sock.recvfrom(1024)
    print(data.decode())
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(out, "hello\n안녕하세요\n");
    }
}

#[test]
fn socat_gets_its_echo() {
    if !have("socat") {
        skip("socat not found");
        return;
    }
    let server = ExampleServer::start("udp_echo_server", &[]);
    let udp = format!("UDP:{}", server.addr);
    assert_eq!(socat(1, &udp, b"ping\n"), b"ping\n");
}
