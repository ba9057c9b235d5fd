//! Requests the server refuses before a handler sees them (limits, malformed input,
//! unsupported versions, methods and framings), and handlers that fail: each is
//! answered with the right status and Python's error page, then the connection closes;
//! the server goes on serving.
#![cfg(feature = "http")]

mod support;

use std::sync::mpsc;
use std::time::Duration;

use socketserver::event::EventLoopTcpServer;
use socketserver::http::{HttpEvents, Limits, ThreadingHttpServer};
use support::http::Client;
use support::http_app::{serve_app_in, App, Mode};

/// Sends `raw` on a fresh connection; checks the error page, the close, and that the
/// server still answers; returns the status.
fn refused(addr: std::net::SocketAddr, raw: &[u8]) -> u16 {
    let mut client = Client::connect(addr);
    client.send(raw);
    let response = client.response();
    assert_eq!(response.header("Connection"), Some("close"), "{response:?}");
    assert_eq!(
        response.header("Content-Type"),
        Some("text/html;charset=utf-8")
    );
    let page = response.text();
    assert!(
        page.contains(&format!("<p>Error code: {}</p>", response.status)),
        "{page}"
    );
    assert!(
        client.is_closed(),
        "connection left open after {}",
        response.status
    );
    assert_eq!(
        support::http::exchange(addr, b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n").text(),
        "hello"
    );
    response.status
}

fn unknown_paths_are_404(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    assert_eq!(refused(addr, b"GET /missing HTTP/1.1\r\n\r\n"), 404);
    serving.stop().unwrap();
}

fn malformed_requests_are_400(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    for raw in [
        &b"GET /\r\n\r\n"[..],
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"GET /a b HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.x\r\n\r\n",
        b"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", // a TLS hello
        b"POST /echo HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
    ] {
        assert_eq!(refused(addr, raw), 400, "{}", String::from_utf8_lossy(raw));
    }
    serving.stop().unwrap();
}

fn a_body_over_the_limit_is_413(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default().max_body(1000));
    // Refused on the header alone: the client need not send the body.
    assert_eq!(
        refused(addr, b"POST /echo HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"),
        413
    );
    serving.stop().unwrap();
}

fn a_request_line_over_65536_bytes_is_414(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let raw = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(70_000));
    assert_eq!(refused(addr, raw.as_bytes()), 414);
    let at_limit = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(65_000));
    assert_eq!(
        support::http::exchange(addr, at_limit.as_bytes()).status,
        404
    );
    serving.stop().unwrap();
}

fn long_header_lines_and_too_many_headers_are_431(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let long_line = format!(
        "GET /hello HTTP/1.1\r\nX-Long: {}\r\n\r\n",
        "v".repeat(70_000)
    );
    assert_eq!(refused(addr, long_line.as_bytes()), 431);

    let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
    let too_many = format!("GET /hello HTTP/1.1\r\n{many}\r\n");
    assert_eq!(refused(addr, too_many.as_bytes()), 431);

    let hundred: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
    let at_limit = format!("GET /hello HTTP/1.1\r\nConnection: close\r\n{hundred}");
    let at_limit = at_limit.replacen("X-99: v\r\n", "\r\n", 1); // 100 fields in all
    assert_eq!(
        support::http::exchange(addr, at_limit.as_bytes()).status,
        200
    );
    serving.stop().unwrap();
}

fn too_many_header_bytes_are_431(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default().max_header_bytes(1024));
    let fields: String = (0..60)
        .map(|i| format!("X-Field-{i}: some value\r\n"))
        .collect();
    let raw = format!("GET /hello HTTP/1.1\r\n{fields}\r\n");
    assert_eq!(refused(addr, raw.as_bytes()), 431);
    serving.stop().unwrap();
}

fn unknown_methods_are_501(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    assert_eq!(refused(addr, b"BREW /pot HTTP/1.1\r\n\r\n"), 501);
    assert_eq!(refused(addr, b"get /hello HTTP/1.1\r\n\r\n"), 501); // methods are case-sensitive
    assert_eq!(
        refused(addr, b"PUT /hello HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
        501
    );
    serving.stop().unwrap();
}

fn unsupported_expectations_are_417(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    assert_eq!(
        refused(
            addr,
            b"POST /echo HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n"
        ),
        417
    );
    serving.stop().unwrap();
}

fn http2_and_later_are_505(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    assert_eq!(refused(addr, b"GET / HTTP/2.0\r\n\r\n"), 505);
    assert_eq!(refused(addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505); // h2 preface
    assert_eq!(refused(addr, b"GET / HTTP/3\r\n\r\n"), 505);
    serving.stop().unwrap();
}

fn failing_handlers_get_a_500_and_are_reported(mode: Mode) {
    let (errors, reported) = mpsc::channel();
    let report = move |_: &_, err: &socketserver::Error| {
        let _ = errors.send(err.to_string());
    };
    let (addr, serving) = match mode {
        Mode::Threading => {
            let factory = support::Hooks::new(App::default).on_error(report);
            let server = ThreadingHttpServer::bind("127.0.0.1:0", factory).unwrap();
            let addr = server.local_addr().unwrap();
            let handle = server.shutdown_handle();
            (
                addr,
                support::Serving::start(handle, move || server.serve_forever()),
            )
        }
        Mode::EventLoop => {
            let factory = support::Hooks::new(|| HttpEvents::new(App::default())).on_error(report);
            let server = EventLoopTcpServer::bind("127.0.0.1:0", factory).unwrap();
            let addr = server.local_addr().unwrap();
            let handle = server.shutdown_handle();
            (
                addr,
                support::Serving::start(handle, move || server.serve_forever()),
            )
        }
    };

    assert_eq!(refused(addr, b"GET /panic HTTP/1.1\r\n\r\n"), 500);
    let report = reported.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(report.contains("panicked on purpose"), "{report}");

    assert_eq!(refused(addr, b"GET /fail HTTP/1.1\r\n\r\n"), 500);
    let report = reported.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(report.contains("failed on purpose"), "{report}");

    // Sending nothing is a bug in the handler, but the client still gets an answer.
    assert_eq!(refused(addr, b"GET /silent HTTP/1.1\r\n\r\n"), 500);
    serving.stop().unwrap();
}

in_every_mode!(
    unknown_paths_are_404,
    malformed_requests_are_400,
    a_body_over_the_limit_is_413,
    a_request_line_over_65536_bytes_is_414,
    long_header_lines_and_too_many_headers_are_431,
    too_many_header_bytes_are_431,
    unknown_methods_are_501,
    unsupported_expectations_are_417,
    http2_and_later_are_505,
    failing_handlers_get_a_500_and_are_reported,
);
