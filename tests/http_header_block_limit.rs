//! The default bound on a request's header block: the 80 KiB head (40 header
//! lines of 2 KiB), which the old 128 KiB default answered `200`, is refused with `431`,
//! and a server that raises `max_header_bytes` accepts it.
#![cfg(feature = "http")]

mod support;

use socketserver::http::Limits;
use support::http::Client;
use support::http_app::{serve_app_in, Mode};

/// `GET /hello` with 40 header lines of 2 KiB each (line ending included).
fn eighty_kib_head() -> Vec<u8> {
    let mut raw = b"GET /hello HTTP/1.1\r\n".to_vec();
    for i in 0..40 {
        let name = format!("X-Big-{i:02}: ");
        raw.extend_from_slice(name.as_bytes());
        raw.extend(std::iter::repeat_n(b'v', 2048 - name.len() - 2));
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"Connection: close\r\n\r\n");
    raw
}

fn default_limits_refuse_an_80_kib_header_block_with_431(mode: Mode) {
    assert_eq!(Limits::default().max_header_bytes, 32 * 1024);
    assert!(Limits::default().max_header_line <= Limits::default().max_header_bytes);
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client.send(&eighty_kib_head());
    let response = client.response();
    assert_eq!(response.status, 431, "{response:?}");
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(client.is_closed(), "connection left open after 431");
    serving.stop().unwrap();
}

fn a_raised_limit_accepts_the_same_head(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default().max_header_bytes(128 * 1024));
    let response = support::http::exchange(addr, &eighty_kib_head());
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.text(), "hello");
    serving.stop().unwrap();
}

fn a_raised_line_limit_alone_does_not_raise_the_block(mode: Mode) {
    // One 40 KiB line: within a raised max_header_line, but over the 32 KiB block.
    let (addr, serving) = serve_app_in(mode, Limits::default().max_header_line(64 * 1024));
    let mut raw = b"GET /hello HTTP/1.1\r\nX-Long: ".to_vec();
    raw.extend(std::iter::repeat_n(b'v', 40 * 1024));
    raw.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    let mut client = Client::connect(addr);
    client.send(&raw);
    assert_eq!(client.response().status, 431);
    serving.stop().unwrap();
}

in_every_mode!(
    default_limits_refuse_an_80_kib_header_block_with_431,
    a_raised_limit_accepts_the_same_head,
    a_raised_line_limit_alone_does_not_raise_the_block,
);
