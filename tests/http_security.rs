//! HTTP security cases, each a test, and the behaviour decided for each:
//!
//! - Obsolete line folding (a header line starting with a space or tab) is `400`: RFC
//!   9112 §5.2 lets a server reject it or unfold it, and unfolding is where parsers in a
//!   chain disagree (request smuggling); Node, Go and hyper reject it too.
//! - Bare LF line ends are accepted, as RFC 9112 §2.2 allows and nginx, Apache, Go and
//!   Python's `http.server` do: a request that ends its lines with `\n` alone is the
//!   same request, and nothing is ambiguous about where its lines end.
//! - NUL and other control bytes in the request line or in a header (name or value) are
//!   `400`: they are not in the grammar (RFC 9110 §5.5 allows only HTAB in a value),
//!   and a NUL is where C code downstream would cut the string.
//! - A header a handler sets with CR or LF in its name or value (response splitting) is
//!   refused with an `InvalidInput` error from `send_header`, and nothing of it is sent;
//!   the same holds for a reason phrase.
//! - Control characters in a request line are escaped (`\xNN`) in the access log, so a
//!   request cannot forge a log line or drive the terminal that shows the log (CPython
//!   gh-100001).
//!
//! (`Content-Length` with `Transfer-Encoding` and conflicting `Content-Length`s are body
//! framing, tested with it.)
#![cfg(feature = "http")]

mod support;

use std::io::{self, Write};
use std::sync::Arc;

use socketserver::http::{HttpHandler, HttpRequest, ThreadingHttpServer};
use support::fork::{capture_logs, logged};
use support::http::Client;
use support::Serving;

/// `GET /hello`: `hello`; `GET /split`: tries headers and a reason phrase with line
/// breaks, then answers with the errors it got, one per line.
struct App;

impl HttpHandler for App {
    fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        let body = match req.path() {
            "/hello" => {
                req.send_response(200)?;
                "hello".to_owned()
            }
            "/split" => {
                let mut errors = Vec::new();
                if let Err(err) = req.send_response_with_reason(200, "OK\r\nSet-Cookie: r=1") {
                    errors.push(err);
                }
                req.send_response(200)?;
                for (name, value) in [
                    ("X-Value", "a\r\nSet-Cookie: v=1"),
                    ("X-Lf", "a\nSet-Cookie: lf=1"),
                    ("X-Cr", "a\rSet-Cookie: cr=1"),
                    ("X-Nul", "a\0b"),
                    ("X-Name\r\nSet-Cookie", "n=1"),
                ] {
                    match req.send_header(name, value) {
                        Err(err) => errors.push(err),
                        Ok(()) => panic!("{name:?}: {value:?} was accepted"),
                    }
                }
                let body: Vec<String> = errors
                    .iter()
                    .map(|err| format!("{:?}", err.kind()))
                    .collect();
                body.join("\n")
            }
            _ => return req.send_error(404, None),
        };
        req.send_header("Content-Length", body.len())?;
        req.end_headers()?;
        req.wfile().write_all(body.as_bytes())
    }
}

fn serve() -> (std::net::SocketAddr, Serving) {
    capture_logs();
    let server = ThreadingHttpServer::builder()
        .bind("127.0.0.1:0", || App)
        .expect("bind");
    let addr = server.local_addr().unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (addr, serving)
}

/// `raw` is answered with `status`, and the connection then closes.
fn refused(addr: std::net::SocketAddr, raw: &[u8], status: u16) {
    let mut client = Client::connect(addr);
    let response = client.request(raw);
    assert_eq!(
        response.status,
        status,
        "{:?}",
        String::from_utf8_lossy(raw)
    );
    assert!(client.is_closed());
}

#[test]
fn obsolete_line_folding_is_400() {
    let (addr, _serving) = serve();
    refused(
        addr,
        b"GET /hello HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
        400,
    );
    refused(
        addr,
        b"GET /hello HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n\ttwo\r\n\r\n",
        400,
    );
}

#[test]
fn bare_lf_line_ends_are_accepted() {
    let (addr, _serving) = serve();
    let mut client = Client::connect(addr);
    let response = client.request(b"GET /hello HTTP/1.1\nHost: a\n\n");
    assert_eq!((response.status, response.text().as_str()), (200, "hello"));
    // The connection goes on: the next request, with mixed line ends, is served too.
    let response = client.request(b"GET /hello HTTP/1.1\r\nHost: a\n\r\n");
    assert_eq!(response.status, 200);
}

#[test]
fn nul_and_control_bytes_in_the_request_line_are_400() {
    let (addr, _serving) = serve();
    for line in [
        &b"GET /hel\0lo HTTP/1.1\r\n"[..],
        b"GET /hel\x01lo HTTP/1.1\r\n",
        b"GET /hel\x7flo HTTP/1.1\r\n",
        b"GET /hello\0HTTP/1.1\r\n",
        b"G\0ET /hello HTTP/1.1\r\n",
        b"GET /hello HTTP/1.1\0\r\n",
        b"GET /hel\rlo HTTP/1.1\r\n",
    ] {
        let mut raw = line.to_vec();
        raw.extend_from_slice(b"Host: a\r\n\r\n");
        refused(addr, &raw, 400);
    }
}

#[test]
fn nul_and_control_bytes_in_headers_are_400() {
    let (addr, _serving) = serve();
    for header in [
        &b"X-A: a\0b\r\n"[..],
        b"X-A: a\x01b\r\n",
        b"X-A: a\x7fb\r\n",
        b"X-A: a\rb\r\n",
        b"X\0A: ab\r\n",
        b"X-A\x01: ab\r\n",
        b"X A: ab\r\n",
        b"X-A : ab\r\n",
    ] {
        let mut raw = b"GET /hello HTTP/1.1\r\nHost: a\r\n".to_vec();
        raw.extend_from_slice(header);
        raw.extend_from_slice(b"\r\n");
        refused(addr, &raw, 400);
    }
    // A tab in a value is allowed (RFC 9110 §5.5).
    let response = Client::connect(addr).request(b"GET /hello HTTP/1.1\r\nX-A: a\tb\r\n\r\n");
    assert_eq!(response.status, 200);
}

#[test]
fn a_header_with_a_line_break_is_refused_and_never_sent() {
    let (addr, _serving) = serve();
    let mut client = Client::connect(addr);
    let response = client.request(b"GET /split HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(response.status, 200);
    // One error per attempt: the reason phrase and the five headers.
    assert_eq!(response.text(), ["InvalidInput"; 6].join("\n"));
    assert!(response.header("Set-Cookie").is_none());
    assert!(response
        .headers
        .iter()
        .all(|(name, _)| !name.starts_with("X-")));
    // The response was framed as sent: the connection serves the next request.
    let response = client.request(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(response.text(), "hello");
}

#[test]
fn control_characters_in_the_request_line_are_escaped_in_the_log() {
    let (addr, _serving) = serve();
    // A request line that tries to end the log line and forge another, and to drive the
    // terminal (clear the screen, set its title).
    let forged = b"GET /forge\x1b[2J\x1b]0;owned\x07\x08\x0bX - - [01/Jan/2000] \"GET /admin HTTP/1.1\" 200 - HTTP/1.1\r\nHost: a\r\n\r\n";
    refused(addr, forged, 400);
    let escaped = "/forge\\x1b[2J\\x1b]0;owned\\x07\\x08\\x0bX";
    assert!(
        support::wait_until(support::IO_TIMEOUT, || logged(escaped)),
        "the request line was logged escaped"
    );
    assert!(
        !logged("/forge\x1b"),
        "a raw control character reached the log"
    );
}
