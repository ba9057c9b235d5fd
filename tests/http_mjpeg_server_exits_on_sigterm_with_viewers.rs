//! The MJPEG example stops cleanly on SIGTERM within 3 seconds although viewers are
//! connected: one watching the stream, one idle between keep-alive requests, and one
//! that stopped reading with its socket full.
#![cfg(feature = "http")]

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::example::ExampleServer;
use support::http::Client;
use support::mjpeg::{read_part, watch};

#[test]
fn sigterm_exits_0_within_3_seconds_with_viewers_connected() {
    let mut server = ExampleServer::start(
        "mjpeg_server",
        &["--width", "320", "--height", "240", "--fps", "30"],
    );
    let addr = server.addr;

    let mut idle = Client::connect(addr);
    assert_eq!(
        idle.request(b"GET /index.html HTTP/1.1\r\n\r\n").status,
        200
    );

    let mut watching = watch(addr, b"GET /stream.mjpg HTTP/1.1\r\n\r\n");
    read_part(&mut watching, "FRAME").unwrap();

    let stalled = support::connect(addr);
    (&stalled)
        .write_all(b"GET /stream.mjpg HTTP/1.1\r\n\r\n")
        .unwrap();

    let sent = Instant::now();
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    eprintln!("exited {:?} after SIGTERM", sent.elapsed());

    // The watching viewer's stream ended (closing boundary or end-of-file, no hang).
    let mut rest = Vec::new();
    let ended = std::io::Read::read_to_end(&mut watching, &mut rest);
    assert!(ended.is_ok() || ended.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset));
    assert!(idle.is_closed());
    drop(stalled);
}
