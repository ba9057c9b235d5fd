//! `examples/tcp_client.rs`, the generic line client, with its input piped: against
//! `echo_server` every line comes back byte-exact; against `numbered_reply_server` each
//! line gets its numbered reply; `quit` ends it early; no server is an error, exit 1.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::closed_port;
use support::example::{client_command, run_with_input, wait_exit, ExampleServer};

#[test]
fn echoed_lines_come_back_exactly() {
    let server = ExampleServer::start("echo_server", &[]);
    let client = client_command("tcp_client", server.addr, &[]);
    let input = "hello\n안녕하세요\r\n\nlast line without end";
    let (status, out) = run_with_input(client, input.as_bytes(), Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "hello\n안녕하세요\r\n\nlast line without end\n"
    );
}

#[test]
fn every_line_gets_its_numbered_reply() {
    let server = ExampleServer::start("numbered_reply_server", &[]);
    let client = client_command("tcp_client", server.addr, &[]);
    let (status, out) = run_with_input(client, b"a\nb\nc\n", Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "server response 1\nserver response 2\nserver response 3\n"
    );
}

#[test]
fn the_server_closing_ends_the_client() {
    let server = ExampleServer::start("echo_server", &[]);
    let mut client = client_command("tcp_client", server.addr, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // stdin stays open: the client ends because the server closed after `quit`.
    let mut stdin = client.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"before\nquit\n").unwrap();
    let status = wait_exit(&mut client, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut client.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out, "before\n");
}

#[test]
fn no_server_is_an_error_with_exit_code_one() {
    let mut client = client_command("tcp_client", closed_port(false), &[])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_exit(&mut client, Duration::from_secs(10));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut client.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.starts_with("error: cannot connect to "),
        "{stderr:?}"
    );
}
