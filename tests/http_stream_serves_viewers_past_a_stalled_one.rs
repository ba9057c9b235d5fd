//! One camera, many viewers: a viewer that stops reading fills its socket and blocks
//! only its own handler; ten other viewers keep getting new frames meanwhile (they skip
//! frames when behind, never wait for the stalled one).
#![cfg(feature = "http")]

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use socketserver::http::{HttpRequest, MultipartWriter, ThreadingHttpServer};
use support::mjpeg::{read_part, watch};
use support::{connect_small_buffer, queued, wait_until, Serving};

const FRAME_BYTES: usize = 32 * 1024;
const FRAME_PERIOD: Duration = Duration::from_millis(10);
/// Frames (a second's worth) a handler must be behind the camera to count as blocked in
/// its write: a live handler on a busy machine is never that late.
const STALLED_LAG: u64 = 100;

/// The newest frame's number, the frames themselves being made from the number.
#[derive(Default)]
struct Camera {
    state: Mutex<(u64, bool)>,
    changed: Condvar,
    /// The last frame each viewer's handler wrote, by the viewer's port.
    written: Mutex<HashMap<u16, u64>>,
}

impl Camera {
    fn next(&self, seen: u64) -> Option<u64> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self
            .changed
            .wait_while(state, |(n, stopped)| *n == seen && !*stopped)
            .unwrap_or_else(PoisonError::into_inner);
        (!state.1).then_some(state.0)
    }

    fn newest(&self) -> u64 {
        self.state.lock().unwrap().0
    }

    fn written_by(&self, port: u16) -> Option<u64> {
        self.written.lock().unwrap().get(&port).copied()
    }

    /// Films until stopped: a new frame every FRAME_PERIOD, as a camera at 100 fps.
    fn film(&self) {
        let mut state = self.state.lock().unwrap();
        while !state.1 {
            state.0 += 1;
            self.changed.notify_all();
            state = self.changed.wait_timeout(state, FRAME_PERIOD).unwrap().0;
        }
    }

    fn stop(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }
}

fn frame(number: u64) -> Vec<u8> {
    let mut frame = number.to_be_bytes().to_vec();
    frame.resize(FRAME_BYTES, (number % 251) as u8);
    frame
}

const STREAM_REQUEST: &[u8] = b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n";

#[test]
fn ten_viewers_keep_getting_frames_while_one_stalls() {
    let camera = Arc::new(Camera::default());
    let shared = Arc::clone(&camera);
    let server = ThreadingHttpServer::bind("127.0.0.1:0", move || {
        let camera = Arc::clone(&shared);
        move |req: &mut HttpRequest<'_>| {
            let port = req.client_address().as_inet().map_or(0, |a| a.port());
            let mut stream = MultipartWriter::new(req, "FRAME")?;
            let mut seen = 0;
            while let Some(number) = camera.next(seen) {
                seen = number;
                stream.write_part("application/octet-stream", &frame(number))?;
                camera.written.lock().unwrap().insert(port, number);
            }
            stream.finish()
        }
    })
    .unwrap();
    let addr: SocketAddr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let filming = {
        let camera = Arc::clone(&camera);
        thread::spawn(move || camera.film())
    };

    // The stalled viewer: a small receive buffer, and it never reads.
    let stalled = connect_small_buffer(addr);
    (&stalled).write_all(STREAM_REQUEST).unwrap();
    let stalled_port = stalled.local_addr().unwrap().port();
    // Its handler is blocked in a write once the camera is far ahead of what it wrote.
    assert!(
        wait_until(Duration::from_secs(20), || {
            camera
                .written_by(stalled_port)
                .is_some_and(|written| camera.newest() >= written + STALLED_LAG)
        }),
        "the stalled viewer's handler never blocked"
    );
    let stuck_at = camera.written_by(stalled_port).unwrap();

    let viewers: Vec<_> = (0..10)
        .map(|_| {
            thread::spawn(move || {
                let mut reader = watch(addr, STREAM_REQUEST);
                let mut numbers = Vec::new();
                while numbers.len() < 10 {
                    let part = read_part(&mut reader, "FRAME").unwrap();
                    let number = u64::from_be_bytes(part.body[..8].try_into().unwrap());
                    assert_eq!(part.body, frame(number), "frame {number} corrupted");
                    numbers.push(number);
                }
                numbers
            })
        })
        .collect();
    let started = Instant::now();
    for viewer in viewers {
        let numbers = viewer.join().expect("a viewer failed");
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "frames out of order or repeated: {numbers:?}"
        );
        assert!(
            numbers[0] > stuck_at,
            "a viewer got a frame older than the stall"
        );
    }
    eprintln!("ten viewers got ten frames each in {:?}", started.elapsed());

    // All the while the stalled viewer's socket stayed full and its handler blocked.
    assert_eq!(camera.written_by(stalled_port), Some(stuck_at));
    assert!(
        queued(&stalled) > 0,
        "the stalled viewer has nothing queued"
    );

    camera.stop();
    filming.join().unwrap();
    drop(stalled); // its handler's blocked write fails and the handler ends
    serving.stop().unwrap();
}
