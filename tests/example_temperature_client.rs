//! `examples/temperature_client.rs` with its input piped, against
//! `examples/temperature_server.rs` over TCP and UDP: one reply line per input line, in
//! order, all printed before the client exits 0; no server is a clear error, exit 1.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::closed_port;
use support::example::{client_command, run_with_input, wait_exit, ExampleServer};

const INPUT: &[u8] = b"36.6\nabc\n-40\n";
const OUTPUT: &str = "97.9\nerror: not a number: \"abc\"\n-40.0\n";

#[test]
fn piped_celsius_lines_print_fahrenheit_over_tcp() {
    let server = ExampleServer::start("temperature_server", &[]);
    let client = client_command("temperature_client", server.addr, &[]);
    let (status, out) = run_with_input(client, INPUT, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), OUTPUT);
}

#[test]
fn piped_celsius_lines_print_fahrenheit_over_udp() {
    let server = ExampleServer::start("temperature_server", &["--udp"]);
    let client = client_command("temperature_client", server.addr, &["--udp"]);
    let (status, out) = run_with_input(client, INPUT, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), OUTPUT);
}

#[test]
fn no_server_is_an_error_with_exit_code_one() {
    for udp in [false, true] {
        let args: &[&str] = if udp { &["--udp"] } else { &[] };
        let mut client = client_command("temperature_client", closed_port(udp), args)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        // The TCP client may have exited (connection refused) before this is written.
        let _ = client.stdin.take().unwrap().write_all(b"36.6\n");
        let status = wait_exit(&mut client, Duration::from_secs(10));
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut client.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(1), "udp={udp}: {stderr}");
        assert!(stderr.starts_with("error: "), "udp={udp}: {stderr:?}");
    }
}
