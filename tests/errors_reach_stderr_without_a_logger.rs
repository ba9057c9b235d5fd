//! Python prints a handler's exception to stderr. Here errors go to the `log` facade, and
//! when the application installed no logger, `handle_error`'s default prints them on
//! stderr instead, so a failing handler is never silent. (Each case runs in a child
//! process of this test binary, whose stderr it reads: no logger is installed there.)

mod support;

use std::io::Write;
use std::process::Command;

use socketserver::{StreamRequest, TcpServer};

const CHILD: &str = "SOCKETSERVER_TEST_CHILD";

/// Runs this test binary's test `name` alone in a child process, with `CHILD` set, and
/// returns its stderr.
fn stderr_of_child(name: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Serves one connection whose handler fails on input that is not UTF-8.
fn serve_one_failing_request() {
    let server = TcpServer::bind("127.0.0.1:0", || {
        |req: &mut StreamRequest| {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut req.rfile, &mut line)?; // InvalidData
            Ok(())
        }
    })
    .unwrap();
    let mut client = support::connect(server.local_addr().unwrap());
    client.write_all(b"caf\xe9\n").unwrap();
    assert!(server.handle_request().unwrap());
}

#[test]
fn a_handler_error_is_printed_when_no_logger_is_installed() {
    if std::env::var_os(CHILD).is_some() {
        serve_one_failing_request();
        return;
    }
    let stderr = stderr_of_child("a_handler_error_is_printed_when_no_logger_is_installed");
    assert!(
        stderr.contains("error processing request from 127.0.0.1:")
            && stderr.contains("valid UTF-8"),
        "stderr was {stderr:?}"
    );
}

#[test]
fn an_installed_logger_decides_for_itself() {
    if std::env::var_os(CHILD).is_some() {
        /// A logger that keeps nothing.
        struct Quiet;
        impl log::Log for Quiet {
            fn enabled(&self, _: &log::Metadata<'_>) -> bool {
                true
            }
            fn log(&self, _: &log::Record<'_>) {}
            fn flush(&self) {}
        }
        log::set_logger(&Quiet).unwrap();
        log::set_max_level(log::LevelFilter::Info);
        serve_one_failing_request();
        return;
    }
    let stderr = stderr_of_child("an_installed_logger_decides_for_itself");
    assert!(
        !stderr.contains("error processing request"),
        "stderr was {stderr:?}"
    );
}

#[test]
fn an_oversized_datagram_is_printed_when_no_logger_is_installed() {
    if std::env::var_os(CHILD).is_some() {
        let server = socketserver::UdpServer::builder()
            .max_packet_size(100)
            .bind("127.0.0.1:0", || {
                |_: &mut socketserver::DatagramRequest| Ok(())
            })
            .unwrap();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .send_to(&[b'x'; 101], server.local_addr().unwrap())
            .unwrap();
        assert!(server.handle_request().unwrap());
        return;
    }
    let stderr = stderr_of_child("an_oversized_datagram_is_printed_when_no_logger_is_installed");
    assert!(
        stderr.contains("error processing request from 127.0.0.1:"),
        "stderr was {stderr:?}"
    );
}
