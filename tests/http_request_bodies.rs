//! Request bodies: read up to `Content-Length`, skipped when a handler leaves them
//! unread (or the connection closed when that is too much), `Expect: 100-continue`,
//! and a client that sends less than it announced.
#![cfg(feature = "http")]

mod support;

use std::io::{self, BufRead};
use std::sync::mpsc;
use std::time::Duration;

use socketserver::http::{HttpRequest, Limits, ThreadingHttpServer};
use support::http::Client;
use support::http_app::{serve_app_in, Mode};

fn a_body_is_read_up_to_its_content_length(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let body: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    client.send(
        format!(
            "POST /echo HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    client.send(&body);
    let response = client.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, body);
    // The next request on the connection starts right after the body.
    assert_eq!(
        client.request(b"GET /hello HTTP/1.1\r\n\r\n").text(),
        "hello"
    );
    serving.stop().unwrap();
}

fn an_unread_body_is_skipped_before_the_next_request(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let body = "x".repeat(1000);
    let response = client
        .request(format!("POST /ignore HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{body}").as_bytes());
    assert_eq!(response.text(), "ignored");
    assert_eq!(response.header("Connection"), None);
    assert_eq!(client.request(b"GET /count HTTP/1.1\r\n\r\n").text(), "2");
    serving.stop().unwrap();
}

fn a_large_unread_body_closes_the_connection_after_the_response(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let body = vec![b'x'; 200_000];
    client.send(b"POST /ignore HTTP/1.1\r\nContent-Length: 200000\r\n\r\n");
    client.send(&body);
    let response = client.response();
    assert_eq!(response.text(), "ignored");
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(client.is_closed());
    serving.stop().unwrap();
}

fn expect_100_continue_is_answered_before_the_body_is_sent(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client.send(b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let interim = support::http::read_head(&mut client.reader).unwrap();
    assert_eq!(interim.status, 100);
    client.send(b"hello");
    let response = client.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "hello");
    serving.stop().unwrap();
}

fn expect_100_continue_over_the_limit_gets_413_and_no_100(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default().max_body(10));
    let mut client = Client::connect(addr);
    client.send(b"POST /echo HTTP/1.1\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
    let response = client.response();
    assert_eq!(response.status, 413);
    assert!(client.is_closed());
    serving.stop().unwrap();
}

/// A blocking handler runs before the body is sent, so it can answer without it.
#[test]
fn a_response_before_the_body_was_asked_for_sends_no_100_and_closes() {
    let (addr, serving) = serve_app_in(Mode::Threading, Limits::default());
    let mut client = Client::connect(addr);
    client.send(b"POST /ignore HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let response = client.response();
    assert_eq!(response.status, 200);
    // The client never sent the body; the server cannot tell where the next request
    // would start, so it closes.
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(client.is_closed());
    serving.stop().unwrap();
}

/// On the event loop the handler runs once the body is in (it must not wait for it), so
/// the loop asks for the body at once: `100`, then the handler's answer, and the
/// connection stays open.
#[test]
fn on_the_event_loop_expect_100_continue_is_answered_at_once() {
    let (addr, serving) = serve_app_in(Mode::EventLoop, Limits::default());
    let mut client = Client::connect(addr);
    client.send(b"POST /ignore HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    assert_eq!(
        support::http::read_head(&mut client.reader).unwrap().status,
        100
    );
    client.send(b"hello");
    let response = client.response();
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "ignored")
    );
    assert_eq!(response.header("Connection"), None);
    assert_eq!(
        client.request(b"GET /hello HTTP/1.1\r\n\r\n").text(),
        "hello"
    );
    serving.stop().unwrap();
}

#[test]
fn a_client_that_sends_less_than_its_content_length_is_an_unexpected_eof() {
    let (seen, errors) = mpsc::channel();
    let server = ThreadingHttpServer::bind("127.0.0.1:0", move || {
        let seen = seen.clone();
        move |req: &mut HttpRequest<'_>| {
            let result = req.read_body();
            let _ = seen.send(result.as_ref().map(Vec::len).map_err(io::Error::kind));
            result.map(drop)
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = support::Serving::start(server.shutdown_handle(), move || server.serve_forever());

    let mut client = Client::connect(addr);
    client.send(b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    client
        .reader
        .get_ref()
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
    let outcome = errors.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(outcome, Err(io::ErrorKind::UnexpectedEof));
    // The server closes without an answer: the client has gone.
    assert!(client.reader.fill_buf().unwrap().is_empty());
    serving.stop().unwrap();
}

in_every_mode!(
    a_body_is_read_up_to_its_content_length,
    an_unread_body_is_skipped_before_the_next_request,
    a_large_unread_body_closes_the_connection_after_the_response,
    expect_100_continue_is_answered_before_the_body_is_sent,
    expect_100_continue_over_the_limit_gets_413_and_no_100,
);
