//! The MJPEG example with eleven viewers: one stops reading until its socket is full;
//! the other ten keep getting new, complete frames all the while (the camera encodes
//! once and never waits for a viewer).
#![cfg(feature = "http")]

mod support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use support::example::ExampleServer;
use support::mjpeg::{is_complete_jpeg, read_part, watch};
use support::{connect_small_buffer, queued};

const STREAM_REQUEST: &[u8] = b"GET /stream.mjpg HTTP/1.1\r\nHost: camera\r\n\r\n";

fn next_frame(viewer: &mut BufReader<TcpStream>) -> Vec<u8> {
    let part = read_part(viewer, "FRAME").expect("a frame");
    assert!(is_complete_jpeg(&part.body), "a part is not a whole JPEG");
    part.body
}

#[test]
fn ten_viewers_keep_getting_frames_while_one_stalls() {
    let mut server = ExampleServer::start(
        "mjpeg_server",
        &["--width", "320", "--height", "240", "--fps", "30"],
    );
    let addr = server.addr;

    let stalled = connect_small_buffer(addr);
    (&stalled).write_all(STREAM_REQUEST).unwrap();

    // A probe viewer is the clock: the stalled socket is full once nothing more reaches
    // it while the probe receives three frames.
    let mut probe = watch(addr, STREAM_REQUEST);
    let mut full_at = None;
    for _ in 0..100 {
        let before = queued(&stalled);
        for _ in 0..3 {
            next_frame(&mut probe);
        }
        if before > 0 && queued(&stalled) == before {
            full_at = Some(before);
            break;
        }
    }
    let full_at = full_at.expect("the stalled viewer's socket never filled");

    let viewers: Vec<_> = (0..10)
        .map(|_| {
            thread::spawn(move || {
                let mut viewer = watch(addr, STREAM_REQUEST);
                let frames: Vec<_> = (0..5).map(|_| next_frame(&mut viewer)).collect();
                assert!(
                    frames.windows(2).all(|w| w[0] != w[1]),
                    "a viewer got the same frame twice"
                );
            })
        })
        .collect();
    for viewer in viewers {
        viewer.join().expect("a viewer was not served");
    }
    assert_eq!(
        queued(&stalled),
        full_at,
        "the stalled viewer read nothing, yet got more"
    );

    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}
