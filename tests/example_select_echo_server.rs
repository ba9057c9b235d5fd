//! `examples/select_echo_server.rs` as a user drives it: one thread serves every client
//! with byte-exact echo (CRLF, empty and binary lines, 1 MiB lines), `quit` closes, and
//! SIGTERM with clients still connected exits 0 within three seconds.

mod support;

use std::time::Duration;

use support::example::ExampleServer;
use support::{connect, echo_protocol, round_trip};

#[test]
fn echoes_lines_byte_exact_for_many_clients_at_once() {
    let server = ExampleServer::start("select_echo_server", &[]);
    let mut clients: Vec<_> = (0..20).map(|_| connect(server.addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        let line = format!("client {i}\r\n");
        assert_eq!(round_trip(client, &line), line);
    }
    echo_protocol::echoes_lines_byte_exact(server.addr);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("select_echo_server", &[]);
    echo_protocol::echoes_a_one_mebibyte_line(server.addr);
}

#[test]
fn quit_closes_the_connection() {
    let server = ExampleServer::start("select_echo_server", &[]);
    echo_protocol::quit_closes_the_connection(server.addr);
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
