//! Chunked request bodies (`Transfer-Encoding: chunked`): decoded for the handler, the
//! body limit applied to the decoded size, and every framing that could smuggle a
//! request (both framings, two lengths, an unknown coding, a malformed chunk) refused
//! with `400` and the connection closed. Also chunked responses read by `curl` and
//! Python's `http.client`.
#![cfg(feature = "http")]

mod support;

use socketserver::http::Limits;
use support::http::Client;
use support::http_app::{serve_app_in, Mode};

/// Sends `raw`, expects `status` with `Connection: close`, then the close itself.
fn refused_and_closed(addr: std::net::SocketAddr, raw: &[u8], status: u16) {
    let mut client = Client::connect(addr);
    client.send(raw);
    let response = client.response();
    let shown = String::from_utf8_lossy(raw);
    assert_eq!(response.status, status, "{shown}: {response:?}");
    assert_eq!(response.header("Connection"), Some("close"), "{shown}");
    assert!(client.is_closed(), "left open after {shown}");
}

fn a_chunked_body_is_decoded_and_the_connection_stays_open(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let response = client.request(
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n1;ext=\"v\"\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "hello world");
    // The next request on the connection is read where the body ended.
    let next = client
        .request(b"POST /echo HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assert_eq!(next.text(), "abc");
    let empty =
        client.request(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(empty.status, 200);
    assert_eq!(empty.text(), "");
    assert_eq!(
        client.request(b"GET /hello HTTP/1.1\r\n\r\n").text(),
        "hello"
    );
    serving.stop().unwrap();
}

fn a_chunked_body_with_expect_continue_gets_100_first(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    client
        .send(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
    let interim = support::http::read_head(&mut client.reader).unwrap();
    assert_eq!(interim.status, 100);
    client.send(b"2\r\nok\r\n0\r\n\r\n");
    assert_eq!(client.response().text(), "ok");
    serving.stop().unwrap();
}

fn malformed_chunks_are_400_and_close(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    for body in [
        &b"zz\r\nhello\r\n0\r\n\r\n"[..], // not hex
        b"5\nhello\r\n0\r\n\r\n",         // bare LF
        b"5\r\nhelloXY0\r\n\r\n",         // data not followed by CRLF
        b"-5\r\nhello\r\n0\r\n\r\n",      // sign
        b"5 \r\nhello\r\n0\r\n\r\n",      // whitespace after the size
        b"11111111111111111\r\n",         // 17 hex digits
        b"3;\r\nabc\r\n0\r\n\r\n",        // empty extension
        b"0\r\nbad trailer\r\n\r\n",      // trailer without a colon
    ] {
        let mut raw = b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        raw.extend_from_slice(body);
        refused_and_closed(addr, &raw, 400);
    }
    serving.stop().unwrap();
}

fn a_chunked_body_over_the_limit_is_413(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default().max_body(10));
    // Ten bytes in two chunks fit the limit of ten: decoded size, not wire size.
    let mut client = Client::connect(addr);
    let fits = client.request(
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n",
    );
    assert_eq!(fits.text(), "1234567890");
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n6\r\n678901\r\n0\r\n\r\n",
        413,
    );
    // A single huge chunk is refused on its size line, before its data is read.
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        413,
    );
    serving.stop().unwrap();
}

fn content_length_with_transfer_encoding_is_400(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
        400,
    );
    serving.stop().unwrap();
}

fn two_different_content_lengths_are_400(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        400,
    );
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd",
        400,
    );
    serving.stop().unwrap();
}

fn unknown_transfer_codings_are_400(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    for coding in [
        "gzip",
        "gzip, chunked",
        "chunked, chunked",
        "identity",
        "chunked;q=1",
        "xchunked",
    ] {
        let raw = format!("POST /echo HTTP/1.1\r\nTransfer-Encoding: {coding}\r\n\r\n0\r\n\r\n");
        refused_and_closed(addr, raw.as_bytes(), 400);
    }
    // Two header lines are one list: "chunked, chunked".
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
    // HTTP/1.0 has no chunked coding.
    refused_and_closed(
        addr,
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
    serving.stop().unwrap();
}

fn a_chunked_body_the_handler_ignores_ends_the_connection(mode: Mode) {
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let mut client = Client::connect(addr);
    let response = client.request(
        b"POST /ignore HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assert_eq!(response.text(), "ignored");
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(client.is_closed());
    serving.stop().unwrap();
}

fn a_chunked_response_is_read_by_curl(mode: Mode) {
    if !support::programs::require("curl") {
        return;
    }
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let url = format!("http://{addr}/nolength");
    // Twice on one connection: curl reuses it only if the chunked body ended cleanly.
    let output = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "-v", &url, &url])
        .output()
        .expect("run curl");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "until the enduntil the end"
    );
    let log = String::from_utf8_lossy(&output.stderr).to_lowercase();
    assert!(log.contains("transfer-encoding: chunked"), "{log}");
    assert!(log.contains("re-using existing connection"), "{log}");
    serving.stop().unwrap();
}

fn a_chunked_response_is_read_by_python_http_client(mode: Mode) {
    if !support::programs::require("python3") {
        return;
    }
    let (addr, serving) = serve_app_in(mode, Limits::default());
    let script = format!(
        "import http.client\n\
         c = http.client.HTTPConnection('{}', {}, timeout=20)\n\
         for _ in range(2):\n\
         \x20   c.request('GET', '/nolength')\n\
         \x20   r = c.getresponse()\n\
         \x20   assert r.chunked, r.getheaders()\n\
         \x20   print(r.read().decode())\n\
         c.request('GET', '/hello')\n\
         print(c.getresponse().read().decode())\n",
        addr.ip(),
        addr.port()
    );
    let output = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("run python3");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "until the end\nuntil the end\nhello\n"
    );
    serving.stop().unwrap();
}

in_every_mode!(
    a_chunked_body_is_decoded_and_the_connection_stays_open,
    a_chunked_body_with_expect_continue_gets_100_first,
    malformed_chunks_are_400_and_close,
    a_chunked_body_over_the_limit_is_413,
    content_length_with_transfer_encoding_is_400,
    two_different_content_lengths_are_400,
    unknown_transfer_codings_are_400,
    a_chunked_body_the_handler_ignores_ends_the_connection,
    a_chunked_response_is_read_by_curl,
    a_chunked_response_is_read_by_python_http_client,
);
