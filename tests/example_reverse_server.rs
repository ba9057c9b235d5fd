//! `examples/reverse_server.rs` (Assignment #5) as users drive it: each line comes back
//! reversed by characters, UTF-8 included; a line that is not UTF-8 gets an error line and
//! the connection goes on; default port 8888; Python and `nc` clients; SIGTERM.

mod support;

use std::io::Write;
use std::process::Command;
use std::time::Duration;

use support::drive::LineClient;
use support::example::{example_path, ExampleServer};
use support::programs::{argv, have, nc, python};
use support::skip;

#[test]
fn reverses_each_line_by_characters() {
    let server = ExampleServer::start("reverse_server", &[]);
    let mut client = LineClient::connect(server.addr);
    assert_eq!(client.ask("Hello World!!!\n"), "!!!dlroW olleH\n");
    assert_eq!(client.ask("HAHAHAHAH\n"), "HAHAHAHAH\n");
    assert_eq!(client.ask("안녕하세요\n"), "요세하녕안\n");
    assert_eq!(client.ask("héllo wörld 👋\n"), "👋 dlröw olléh\n");
    assert_eq!(client.ask("crlf\r\n"), "flrc\n");
    assert_eq!(client.ask("\n"), "\n");
}

#[test]
fn a_line_that_is_not_utf8_gets_an_error_line_and_the_connection_goes_on() {
    let server = ExampleServer::start("reverse_server", &[]);
    let mut client = LineClient::connect(server.addr);
    client.stream.write_all(b"ab\xffcd\n").unwrap();
    assert_eq!(client.next_line(), "error: not UTF-8: \"ab\\xffcd\"\n");
    assert_eq!(client.ask("abc\n"), "cba\n");
}

#[test]
fn sigterm_with_a_client_connected_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("reverse_server", &[]);
    let mut client = LineClient::connect(server.addr);
    assert_eq!(client.ask("abc\n"), "cba\n");
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_default_port_is_8888() {
    let out = Command::new(example_path("reverse_server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("[default: 8888]"), "{help}");
}

#[test]
fn python_and_nc_clients_get_reversed_lines() {
    let server = ExampleServer::start("reverse_server", &[]);
    let script = r#"
import sys, socket
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect((sys.argv[1], int(sys.argv[2])))
sock.send("Hello World!!!\n".encode())
data = b""
while not data.endswith(b"\n"):
    data += sock.recv(1024)
print(data.decode(), end="")
sock.close()
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(out, "!!!dlroW olleH\n");
    }
    if have("nc") {
        let out = nc(server.addr, "abc\n가나다\n".as_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), "cba\n다나가\n");
    } else {
        skip("nc not found");
    }
}
