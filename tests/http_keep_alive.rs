//! HTTP/1.0 and HTTP/1.1 persistent connections: several requests on one connection
//! served by one handler, `Connection: close`, HTTP/1.0's opt-in keep-alive, and the
//! close that a response without `Content-Length` needs.
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use socketserver::http::Limits;
use support::http::Client;
use support::http_app::{serve_app, serve_app_in, Mode};

fn http11_serves_several_requests_on_one_connection_with_one_handler(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    for expected in ["1", "2", "3"] {
        let response = client.request(b"GET /count HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), expected);
        assert_eq!(response.header("Connection"), None);
        assert!(response.header("Date").is_some_and(|d| d.ends_with(" GMT")));
        assert!(response
            .header("Server")
            .is_some_and(|s| s.starts_with("socketserver-http/")));
    }
    drop(client);
    serving.stop().unwrap();
}

fn pipelined_requests_are_answered_in_order(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client.send(
        b"GET /count HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\nGET /count HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(client.response().text(), "1");
    assert_eq!(client.response().text(), "hello");
    let last = client.response();
    assert_eq!(last.text(), "3");
    assert_eq!(last.header("Connection"), Some("close"));
    assert!(client.is_closed());
    serving.stop().unwrap();
}

fn connection_close_ends_the_connection_after_the_response(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let response = client.request(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(response.text(), "hello");
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(client.is_closed());
    serving.stop().unwrap();
}

fn http10_closes_unless_keep_alive_is_asked(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());

    let mut plain = Client::connect(addr);
    let response = plain.request(b"GET /hello HTTP/1.0\r\n\r\n");
    assert_eq!(response.text(), "hello");
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(plain.is_closed());

    let mut keep = Client::connect(addr);
    let first = keep.request(b"GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(first.text(), "1");
    assert_eq!(first.header("Connection"), Some("keep-alive"));
    let second = keep.request(b"GET /count HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    assert_eq!(second.text(), "2");
    let last = keep.request(b"GET /count HTTP/1.0\r\n\r\n");
    assert_eq!(last.text(), "3");
    assert!(keep.is_closed());
    serving.stop().unwrap();
}

fn a_response_without_content_length_closes_an_http10_connection(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    // Without the close, the client would wait for more body forever
    // (python/cpython#75259); read_response reads the body to end-of-file.
    let response = client.request(b"GET /nolength HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(response.header("Connection"), Some("close"));
    assert_eq!(response.header("Transfer-Encoding"), None);
    assert_eq!(response.text(), "until the end");
    assert!(client.is_closed());
    serving.stop().unwrap();
}

fn a_response_without_content_length_is_chunked_for_http11(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let response = client.request(b"GET /nolength HTTP/1.1\r\n\r\n");
    assert_eq!(response.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(response.header("Connection"), None);
    assert_eq!(response.text(), "until the end");
    // The connection stays open for the next request.
    assert_eq!(client.request(b"GET /count HTTP/1.1\r\n\r\n").text(), "2");
    serving.stop().unwrap();
}

#[test]
fn idle_keep_alive_connections_end_on_close_connections() {
    let (addr, server, serving) = serve_app(Limits::default());
    let mut client = Client::connect(addr);
    assert_eq!(
        client.request(b"GET /hello HTTP/1.1\r\n\r\n").text(),
        "hello"
    );
    // The handler now waits for the next request on this connection.
    assert!(support::wait_until(Duration::from_secs(10), || server
        .open_connections()
        == 1));
    serving.stop().unwrap();
    assert_eq!(server.close_connections(), 1);
    assert!(client.is_closed());
    assert!(support::wait_until(Duration::from_secs(10), || server
        .open_connections()
        == 0));
}

in_every_mode!(
    http11_serves_several_requests_on_one_connection_with_one_handler,
    pipelined_requests_are_answered_in_order,
    connection_close_ends_the_connection_after_the_response,
    http10_closes_unless_keep_alive_is_asked,
    a_response_without_content_length_closes_an_http10_connection,
    a_response_without_content_length_is_chunked_for_http11,
);
