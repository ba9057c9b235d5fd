//! The MJPEG example in a real browser: headless Chromium loads `http://IP:PORT/`,
//! follows the redirect, shows the `<img>` stream, and two screenshots taken one after
//! the other differ inside the picture (it moves: test pattern, counter, clock).
#![cfg(feature = "http")]

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::example::{exit_within, ExampleServer};
use support::programs::find_program;

const WIDTH: usize = 320;
const HEIGHT: usize = 240;

/// Loads `url` in a fresh headless Chromium profile and returns the screenshot's path.
fn screenshot(chromium: &Path, url: &str, dir: &Path, name: &str) -> PathBuf {
    let shot = dir.join(format!("{name}.png"));
    let log = dir.join(format!("{name}.log"));
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--hide-scrollbars",
            "--window-size=400,300",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join(format!("{name}-profile")).display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&log).expect("chromium log file"))
        .spawn()
        .expect("start chromium");
    let status = exit_within(&mut child, Duration::from_secs(90));
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()) && shot.exists(),
        "chromium failed ({status:?}); its log:\n{log}"
    );
    shot
}

/// RGB pixels of a PNG, with its width.
fn decode_png(path: &Path) -> (Vec<[u8; 3]>, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(File::open(path).unwrap()));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (pixels, info.width as usize)
}

/// How many pixels of the picture's area differ between two screenshots.
fn differing_pixels(a: &(Vec<[u8; 3]>, usize), b: &(Vec<[u8; 3]>, usize)) -> usize {
    let mut differ = 0;
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let (pa, pb) = (a.0[y * a.1 + x], b.0[y * b.1 + x]);
            if pa.iter().zip(pb).any(|(ca, cb)| ca.abs_diff(cb) > 16) {
                differ += 1;
            }
        }
    }
    differ
}

#[test]
fn chromium_shows_a_moving_picture() {
    let Some(chromium) = find_program("chromium").or_else(|| find_program("chromium-browser"))
    else {
        support::skip("chromium not found (run .ci/install-tools.sh)");
        return;
    };
    let server = ExampleServer::start(
        "mjpeg_server",
        &["--width", "320", "--height", "240", "--fps", "10"],
    );
    let url = format!("http://{}/", server.addr);
    let dir = tempfile::tempdir().unwrap();

    let first = decode_png(&screenshot(&chromium, &url, dir.path(), "first"));
    let second = decode_png(&screenshot(&chromium, &url, dir.path(), "second"));

    // The page's background (#222) is around the picture; the picture is not.
    let background = [0x22, 0x22, 0x22];
    assert_eq!(first.0[first.1 * (HEIGHT + 20) + WIDTH + 20], background);
    let picture: Vec<_> = (0..HEIGHT)
        .flat_map(|y| first.0[y * first.1..][..WIDTH].iter())
        .filter(|&&p| p != background)
        .collect();
    assert!(
        picture.len() > WIDTH * HEIGHT * 9 / 10,
        "no picture where the <img> should be"
    );
    let differ = differing_pixels(&first, &second);
    assert!(
        differ > WIDTH * HEIGHT / 100,
        "the two screenshots are the same picture ({differ} pixels differ)"
    );
    eprintln!("{differ} of {} pixels differ", WIDTH * HEIGHT);
}
