//! The MJPEG example in a real browser: headless Chromium loads `http://IP:PORT/`,
//! follows the redirect, shows the `<img>` stream, and two screenshots taken one after
//! the other differ inside the picture (it moves: test pattern, counter, clock).
#![cfg(feature = "http")]

mod support;

use support::browser::{decode_png, differing_pixels, screenshot};
use support::example::ExampleServer;
use support::programs::find_program;

const WIDTH: usize = 320;
const HEIGHT: usize = 240;

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

    let first = decode_png(&screenshot(&chromium, &url, dir.path(), "first", &[]));
    let second = decode_png(&screenshot(&chromium, &url, dir.path(), "second", &[]));

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
    let differ = differing_pixels(&first, &second, WIDTH, HEIGHT);
    assert!(
        differ > WIDTH * HEIGHT / 100,
        "the two screenshots are the same picture ({differ} pixels differ)"
    );
    eprintln!("{differ} of {} pixels differ", WIDTH * HEIGHT);
}
