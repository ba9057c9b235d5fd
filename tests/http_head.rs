//! `HEAD`: the headers `GET` would send, `Content-Length` included, and no body, so the
//! connection stays usable for the next request.
#![cfg(feature = "http")]

mod support;

use socketserver::http::Limits;
use support::http::Client;
use support::http_app::{serve_app_in, Mode};

fn head_sends_the_get_headers_without_the_body(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client.send(b"HEAD /hello HTTP/1.1\r\n\r\n");
    let head = client.head_response();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("5"));
    assert_eq!(head.header("Content-Type"), Some("text/plain"));
    assert_eq!(head.header("Connection"), None);
    // Had the body been sent, this response would start with "hello".
    let next = client.request(b"GET /hello HTTP/1.1\r\n\r\n");
    assert_eq!(next.status, 200);
    assert_eq!(next.text(), "hello");
    serving.stop().unwrap();
}

fn head_of_an_error_has_no_page(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client.send(b"HEAD /missing HTTP/1.1\r\n\r\n");
    let head = client.head_response();
    assert_eq!(head.status, 404);
    assert!(head.header("Content-Length").is_some_and(|n| n != "0"));
    assert_eq!(head.header("Connection"), Some("close"));
    assert!(
        client.is_closed(),
        "a page was sent after the HEAD response"
    );
    serving.stop().unwrap();
}

fn head_on_a_stream_sends_the_headers_and_no_parts(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client.send(b"HEAD /stream HTTP/1.1\r\n\r\n");
    let head = client.head_response();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Type"),
        Some("multipart/x-mixed-replace; boundary=PART")
    );
    assert!(
        client.is_closed(),
        "parts were sent after the HEAD response"
    );
    serving.stop().unwrap();
}

in_every_mode!(
    head_sends_the_get_headers_without_the_body,
    head_of_an_error_has_no_page,
    head_on_a_stream_sends_the_headers_and_no_parts,
);
