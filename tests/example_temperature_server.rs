//! `examples/temperature_server.rs` as users drive it, over TCP and `--udp`: Celsius in,
//! Fahrenheit with one decimal out (`36.6` -> `97.9`), `error: not a number: "abc"` for
//! bad input (bytes that are not UTF-8 included) with the connection still served,
//! lecture-style Python clients, `nc`/`socat`, and SIGTERM.

mod support;

use std::time::Duration;

use support::drive::LineClient;
use support::example::ExampleServer;
use support::programs::{argv, have, nc, python, socat};
use support::{skip, udp_client};

/// (Celsius request, Fahrenheit reply), with Python's `'{:.1f}'.format(9.0/5.0*c + 32.0)`.
const CONVERSIONS: &[(&str, &str)] = &[
    ("36.6", "97.9"),
    ("-40", "-40.0"),
    ("100", "212.0"),
    ("0", "32.0"),
    (" 37 ", "98.6"),
    ("1e3", "1832.0"),
];

#[test]
fn converts_celsius_lines_over_tcp() {
    let server = ExampleServer::start("temperature_server", &[]);
    let mut client = LineClient::connect(server.addr);
    for (celsius, fahrenheit) in CONVERSIONS {
        assert_eq!(
            client.ask(&format!("{celsius}\n")),
            format!("{fahrenheit}\n")
        );
    }
    assert_eq!(client.ask("36.6\r\n"), "97.9\n", "CRLF line");
}

#[test]
fn bad_input_gets_an_error_line_and_the_connection_goes_on() {
    let server = ExampleServer::start("temperature_server", &[]);
    let mut client = LineClient::connect(server.addr);
    assert_eq!(client.ask("abc\n"), "error: not a number: \"abc\"\n");
    assert_eq!(client.ask("\n"), "error: not a number: \"\"\n");
    assert_eq!(client.ask("inf\n"), "error: not a number: \"inf\"\n");
    // Bytes that are not UTF-8 get the answer every example gives them (reverse_server's).
    std::io::Write::write_all(&mut client.stream, b"3\xff6\n").unwrap();
    assert_eq!(client.next_line(), "error: not UTF-8: \"3\\xff6\"\n");
    assert_eq!(
        client.ask("36.6\n"),
        "97.9\n",
        "same connection still served"
    );
    let mut other = LineClient::connect(server.addr);
    assert_eq!(other.ask("36.6\n"), "97.9\n", "other connections too");
}

fn udp_ask(socket: &std::net::UdpSocket, server: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    socket.send_to(request, server).unwrap();
    let mut buf = [0; 1024];
    let (n, from) = socket.recv_from(&mut buf).expect("reply datagram");
    assert_eq!(from, server);
    buf[..n].to_vec()
}

#[test]
fn udp_converts_each_datagram_and_answers_errors() {
    let server = ExampleServer::start("temperature_server", &["--udp"]);
    let socket = udp_client();
    for (celsius, fahrenheit) in CONVERSIONS {
        assert_eq!(
            udp_ask(&socket, server.addr, celsius.as_bytes()),
            fahrenheit.as_bytes()
        );
    }
    // A request that ends its line gets a reply that does (what `nc -u` sends).
    assert_eq!(udp_ask(&socket, server.addr, b"36.6\n"), b"97.9\n");
    assert_eq!(
        udp_ask(&socket, server.addr, b"abc"),
        b"error: not a number: \"abc\""
    );
    assert_eq!(
        udp_ask(&socket, server.addr, b"\xff\xfe"),
        b"error: not UTF-8: \"\\xff\\xfe\""
    );
    assert_eq!(
        udp_ask(&socket, server.addr, b"36.6"),
        b"97.9",
        "still serving"
    );
}

#[test]
fn sigterm_exits_zero_within_three_seconds_over_tcp_with_a_client_connected() {
    let mut server = ExampleServer::start("temperature_server", &[]);
    let mut client = LineClient::connect(server.addr);
    assert_eq!(client.ask("36.6\n"), "97.9\n");
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_exits_zero_within_three_seconds_over_udp() {
    let mut server = ExampleServer::start("temperature_server", &["--udp"]);
    assert_eq!(udp_ask(&udp_client(), server.addr, b"36.6"), b"97.9");
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn python_lecture_clients_over_tcp_and_udp() {
    let tcp = ExampleServer::start("temperature_server", &[]);
    let udp = ExampleServer::start("temperature_server", &["--udp"]);
    // GUI_socket_client.py without the GUI: send(str(temp).encode()), recv(1024); and
    // exercise 12-3 (3) over UDP: sendto, recvfrom(1024).
    let script = r#"
import sys
from socket import *
tcp = socket(AF_INET, SOCK_STREAM)
tcp.settimeout(10)
tcp.connect((sys.argv[1], int(sys.argv[2])))
for temp in ["36.6", "abc"]:
    tcp.send((temp + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        data += tcp.recv(1024)
    print(data.decode(), end="")
tcp.close()
udp = socket(AF_INET, SOCK_DGRAM)
udp.settimeout(10)
for temp in ["100", "abc"]:
    udp.sendto(temp.encode(), (sys.argv[3], int(sys.argv[4])))
    data, addr = udp.recvfrom(1024)
    print(data.decode())
"#;
    let args = [argv(tcp.addr), argv(udp.addr)].concat();
    if let Some(out) = python(script, &args) {
        assert_eq!(
            out,
            "97.9\nerror: not a number: \"abc\"\n212.0\nerror: not a number: \"abc\"\n"
        );
    }
}

#[test]
fn nc_over_tcp_and_socat_over_udp() {
    let mut ran = 0;
    if have("nc") {
        let server = ExampleServer::start("temperature_server", &[]);
        assert_eq!(
            nc(server.addr, b"36.6\nabc\n"),
            b"97.9\nerror: not a number: \"abc\"\n"
        );
        ran += 1;
    }
    if have("socat") {
        let server = ExampleServer::start("temperature_server", &["--udp"]);
        // One datagram per line read.
        let udp = format!("UDP:{}", server.addr);
        assert_eq!(socat(1, &udp, b"36.6\n"), b"97.9\n");
        ran += 1;
    }
    if ran == 0 {
        skip("neither nc nor socat is installed");
    }
}
