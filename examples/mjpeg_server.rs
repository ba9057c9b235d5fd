//! `mjpeg_server`: the surveillance camera of lecture 002, ported.
//!
//! Python's `StreamingServer(ThreadingMixIn, HTTPServer)` with a `StreamingHandler` whose
//! `do_GET` serves a page and an MJPEG stream. There is no webcam here: a synthetic
//! camera thread draws a moving test pattern with a frame counter and a clock, encodes
//! each frame once as JPEG, and every viewer gets the same bytes.
//!
//! ```text
//! cargo run --release --example mjpeg_server -- [-i 127.0.0.1] [-p 8000] [--fps 10]
//!                                              [--width 640] [--height 480]
//! ```
//!
//! then open `http://127.0.0.1:8000/`. `GET /` redirects to `/index.html`, the page's
//! `<img src="stream.mjpg">` shows the stream, any other path is `404`.
//!
//! JPEG encoding uses the `jpeg-encoder` crate, whose forward DCT is ported from libjpeg:
//! this software is based in part on the work of the Independent JPEG Group.

mod common;

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use socketserver::http::{HttpHandler, HttpRequest, MultipartWriter, ThreadingHttpServer};

/// Streams a synthetic camera to browsers as MJPEG (lecture 002's camera).
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs<8000>,
    #[command(flatten)]
    stream: common::StreamArgs,
    /// Frames per second the camera produces.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
    /// Frame width in pixels.
    #[arg(long, default_value_t = 640, value_parser = clap::value_parser!(u16).range(64..=4096))]
    width: u16,
    /// Frame height in pixels.
    #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(u16).range(48..=4096))]
    height: u16,
}

/// Python's `StreamingHandler`.
struct StreamingHandler {
    camera: Arc<Camera>,
    page: Arc<str>,
}

impl HttpHandler for StreamingHandler {
    fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        match req.path() {
            "/" => {
                req.send_response(301)?;
                req.send_header("Location", "/index.html")?;
                req.send_header("Content-Length", 0)?;
                req.end_headers()
            }
            "/index.html" => {
                req.send_response(200)?;
                req.send_header("Content-Type", "text/html; charset=utf-8")?;
                req.send_header("Content-Length", self.page.len())?;
                req.end_headers()?;
                req.wfile().write_all(self.page.as_bytes())
            }
            "/stream.mjpg" => {
                req.send_response(200)?;
                req.send_header("Age", 0)?;
                req.send_header("Cache-Control", "no-cache, private")?;
                req.send_header("Pragma", "no-cache")?;
                let mut stream = MultipartWriter::new(req, "FRAME")?;
                let mut seen = 0;
                // Ends when the camera stops; a viewer that leaves ends it at `?`.
                while let Some(frame) = self.camera.next_frame(&mut seen) {
                    stream.write_part("image/jpeg", &frame)?;
                }
                stream.finish()
            }
            _ => req.send_error(404, None),
        }
    }
}

fn page(width: u16, height: u16) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head><title>socketserver MJPEG camera</title></head>\n\
         <body style=\"margin:0;background:#222\">\n\
         <img src=\"stream.mjpg\" width=\"{width}\" height=\"{height}\" \
         style=\"display:block\" alt=\"camera\">\n</body>\n</html>\n"
    )
}

fn main() {
    let args = Args::parse();
    common::init_logging();

    let camera = Arc::new(Camera::default());
    let filming = {
        let camera = Arc::clone(&camera);
        let (width, height, fps) = (args.width, args.height, args.fps);
        thread::Builder::new()
            .name("camera".into())
            .spawn(move || film(&camera, width, height, fps))
            .unwrap_or_else(|err| common::exit_with(2, err))
    };

    let page: Arc<str> = page(args.width, args.height).into();
    let shared = Arc::clone(&camera);
    // Python's StreamingServer: a threading HTTP server (allow_reuse_address and
    // daemon_threads are its defaults). Unlike Python, a viewer that stops reading cannot
    // hold its thread forever.
    let builder = ThreadingHttpServer::builder().connection_timeout(Some(Duration::from_secs(30)));
    let builder = args.stream.apply(builder);
    let server = args
        .server
        .configure(builder)
        .bind(args.server.endpoint.addr(), move || StreamingHandler {
            camera: Arc::clone(&shared),
            page: Arc::clone(&page),
        })
        .unwrap_or_else(|err| common::exit_with(2, err));
    common::announce(
        server
            .local_addr()
            .unwrap_or_else(|err| common::exit_with(2, err)),
    );

    let served = server.serve_forever();
    // Stop the camera first: every stream ends after its current frame, then the
    // graceful stop ends the connections that sit idle between requests.
    camera.stop();
    server.close_gracefully();
    if filming.join().is_err() {
        log::error!("the camera thread panicked");
    }
    if let Err(err) = served {
        common::exit_with(1, err);
    }
}

/// Python's `StreamingOutput`: the newest frame, numbered, and a condition variable to
/// wait for the next. A viewer that fell behind takes the newest frame and skips the
/// ones it missed, so it never slows the camera or the other viewers.
#[derive(Default)]
struct Camera {
    latest: Mutex<Latest>,
    changed: Condvar,
}

#[derive(Default)]
struct Latest {
    number: u64,
    frame: Arc<Vec<u8>>,
    stopped: bool,
}

impl Camera {
    fn latest(&self) -> MutexGuard<'_, Latest> {
        // Assignments of whole values cannot leave `Latest` half-changed.
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, frame: Vec<u8>) {
        let mut latest = self.latest();
        latest.number += 1;
        latest.frame = Arc::new(frame);
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.latest().stopped = true;
        self.changed.notify_all();
    }

    /// Waits for a frame newer than `seen`; `None` once the camera has stopped.
    fn next_frame(&self, seen: &mut u64) -> Option<Arc<Vec<u8>>> {
        let latest = self
            .changed
            .wait_while(self.latest(), |l| l.number == *seen && !l.stopped)
            .unwrap_or_else(PoisonError::into_inner);
        if latest.stopped {
            return None;
        }
        *seen = latest.number;
        Some(Arc::clone(&latest.frame))
    }

    /// Waits until `deadline` (the next frame's time); `true` if the camera was stopped.
    fn stopped_before(&self, deadline: Instant) -> bool {
        let mut latest = self.latest();
        while !latest.stopped {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            latest = self
                .changed
                .wait_timeout(latest, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// The camera thread: draws and encodes a frame every `1/fps` s until stopped.
fn film(camera: &Camera, width: u16, height: u16, fps: u32) {
    let period = Duration::from_secs(1) / fps;
    let mut pixels = vec![0u8; usize::from(width) * usize::from(height) * 3];
    let mut next = Instant::now();
    for number in 0u64.. {
        draw(&mut pixels, width, height, number);
        let mut jpeg = Vec::with_capacity(pixels.len() / 8);
        let encoder = jpeg_encoder::Encoder::new(&mut jpeg, 80);
        if let Err(err) = encoder.encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb) {
            log::error!("could not encode frame {number}: {err}");
            camera.stop();
            return;
        }
        camera.publish(jpeg);
        next += period;
        if camera.stopped_before(next) {
            return;
        }
        // After a stall (a suspended laptop), go on from now instead of catching up.
        if let Some(floor) = Instant::now().checked_sub(period) {
            next = next.max(floor);
        }
    }
}

/// A test pattern: colour bars scrolling sideways, a square bouncing, and on top the
/// frame number and the time of day (UTC) in a 5x7 pixel font.
fn draw(pixels: &mut [u8], width: u16, height: u16, number: u64) {
    const BARS: [[u8; 3]; 7] = [
        [192, 192, 192],
        [192, 192, 0],
        [0, 192, 192],
        [0, 192, 0],
        [192, 0, 192],
        [192, 0, 0],
        [0, 0, 192],
    ];
    let (w, h) = (usize::from(width), usize::from(height));
    let shift = (number as usize * 4) % w;
    for y in 0..h {
        for x in 0..w {
            let bar = ((x + shift) % w) * BARS.len() / w;
            let shade = 255 - (y * 128 / h) as u8;
            let rgb = BARS[bar].map(|c| (u16::from(c) * u16::from(shade) / 255) as u8);
            pixels[(y * w + x) * 3..][..3].copy_from_slice(&rgb);
        }
    }

    let side = h / 6;
    let travel_x = (w - side).max(1);
    let travel_y = (h - side).max(1);
    let bounce = |t: usize, span: usize| {
        let t = t % (2 * span);
        if t < span {
            t
        } else {
            2 * span - t
        }
    };
    let (sx, sy) = (
        bounce(number as usize * 7, travel_x),
        bounce(number as usize * 5, travel_y),
    );
    fill(pixels, w, sx, sy, side, side, [255, 255, 255]);

    let scale = (h / 120).max(1);
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = clock.as_secs() % 86_400;
    let lines = [
        format!("#{number:06}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            clock.subsec_millis()
        ),
    ];
    for (row, text) in lines.iter().enumerate() {
        let x = 4 * scale;
        let y = 4 * scale + row * 10 * scale;
        let box_w = (text.len() * 6 + 2) * scale;
        fill(pixels, w, x - scale, y - scale, box_w, 9 * scale, [0, 0, 0]);
        for (i, c) in text.chars().enumerate() {
            draw_glyph(pixels, w, x + i * 6 * scale, y, scale, c);
        }
    }
}

fn fill(pixels: &mut [u8], w: usize, x: usize, y: usize, fw: usize, fh: usize, rgb: [u8; 3]) {
    let h = pixels.len() / 3 / w;
    for row in y..(y + fh).min(h) {
        for col in x..(x + fw).min(w) {
            pixels[(row * w + col) * 3..][..3].copy_from_slice(&rgb);
        }
    }
}

fn draw_glyph(pixels: &mut [u8], w: usize, x: usize, y: usize, scale: usize, c: char) {
    for (row, bits) in glyph(c).iter().enumerate() {
        for col in 0..5 {
            if bits & (0b10000 >> col) != 0 {
                let (px, py) = (x + col * scale, y + row * scale);
                fill(pixels, w, px, py, scale, scale, [255, 255, 0]);
            }
        }
    }
}

/// 5x7 bitmaps of the characters the overlay needs; one row per byte, high bit left.
fn glyph(c: char) -> [u8; 7] {
    match c {
        '0' => [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
        '1' => [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
        '2' => [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
        '3' => [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
        '4' => [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
        '5' => [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
        '6' => [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
        '7' => [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
        '9' => [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
        ':' => [0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c],
        '#' => [0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a],
        _ => [0; 7],
    }
}
