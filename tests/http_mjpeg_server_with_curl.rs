//! The MJPEG example as a user tries it with `curl`: `/` redirects to the page, the
//! page embeds the stream, unknown paths are 404, and the stream's parts are complete
//! JPEGs of the requested size that decode.
#![cfg(feature = "http")]

mod support;

use std::io::BufReader;
use std::process::{Command, Stdio};

use support::example::ExampleServer;
use support::mjpeg::is_complete_jpeg;
use support::programs::find_program;

fn curl(args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(args)
        .output()
        .expect("run curl");
    assert!(output.status.success(), "curl {args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 from curl")
}

#[test]
fn curl_gets_the_page_and_frames_that_are_jpegs() {
    if find_program("curl").is_none() {
        support::skip("curl not found (run .ci/install-tools.sh)");
        return;
    }
    let server = ExampleServer::start(
        "mjpeg_server",
        &["--width", "320", "--height", "240", "--fps", "20"],
    );
    let base = format!("http://{}", server.addr);

    let redirect = curl(&["--include", &format!("{base}/")]);
    assert!(redirect.starts_with("HTTP/1.1 301"), "{redirect}");
    assert!(
        redirect.contains("\r\nLocation: /index.html\r\n"),
        "{redirect}"
    );

    let page = curl(&["--location", &format!("{base}/")]);
    assert!(page.contains("<img src=\"stream.mjpg\""), "{page}");
    assert_eq!(page, curl(&[&format!("{base}/index.html")]));

    let missing = curl(&["--include", &format!("{base}/missing")]);
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    // curl prints the stream as it arrives; read three parts, then stop curl.
    let mut stream = Command::new("curl")
        .args(["--silent", "--no-buffer", "--include", "--max-time", "60"])
        .arg(format!("{base}/stream.mjpg"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("run curl");
    let mut reader = BufReader::new(stream.stdout.take().unwrap());
    let head = support::http::read_head(&mut reader).unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Type"),
        Some("multipart/x-mixed-replace; boundary=FRAME")
    );
    assert_eq!(head.header("Cache-Control"), Some("no-cache, private"));
    let frames: Vec<Vec<u8>> = (0..3)
        .map(|_| {
            let part = support::mjpeg::read_part(&mut reader, "FRAME").expect("a part");
            assert_eq!(part.content_type, "image/jpeg");
            part.body
        })
        .collect();
    let _ = stream.kill();
    let _ = stream.wait();

    for frame in &frames {
        assert!(is_complete_jpeg(frame), "a part is not a whole JPEG");
    }
    assert!(
        frames.windows(2).all(|w| w[0] != w[1]),
        "the picture did not change"
    );
    let mut decoder = jpeg_decoder::Decoder::new(&frames[0][..]);
    let pixels = decoder.decode().expect("the frame decodes");
    let info = decoder.info().unwrap();
    assert_eq!((info.width, info.height), (320, 240));
    assert_eq!(pixels.len(), 320 * 240 * 3);
}
