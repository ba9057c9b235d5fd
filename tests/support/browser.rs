//! Headless Chromium for the browser tests: a screenshot of a page, its pixels, and how
//! many of them two screenshots do not share.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::example::exit_within;

/// Loads `url` in a fresh headless Chromium profile (with `extra` flags, such as
/// `--ignore-certificate-errors`) and returns the screenshot's path.
pub fn screenshot(chromium: &Path, url: &str, dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
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
        .args(extra)
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
pub fn decode_png(path: &Path) -> (Vec<[u8; 3]>, usize) {
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

/// How many pixels of the `width` x `height` area at the top left differ between two
/// screenshots.
pub fn differing_pixels(
    a: &(Vec<[u8; 3]>, usize),
    b: &(Vec<[u8; 3]>, usize),
    width: usize,
    height: usize,
) -> usize {
    let mut differ = 0;
    for y in 0..height {
        for x in 0..width {
            let (pa, pb) = (a.0[y * a.1 + x], b.0[y * b.1 + x]);
            if pa.iter().zip(pb).any(|(ca, cb)| ca.abs_diff(cb) > 16) {
                differ += 1;
            }
        }
    }
    differ
}
