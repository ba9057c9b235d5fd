//! The HTTP targets (feature `http`): request heads, body framing, and whole connections
//! through the HTTP driver over a socketpair.

use super::*;
use crate::http::{read_head, BodyState, ChunkedReader, ReadHead};
use crate::http::{HttpConnection, HttpHandler, HttpOptions, HttpRequest, Limits};
use crate::RequestHandler;
use std::io::BufReader;

/// Limits chosen by `knob`: small ones (so that a short input reaches them) or the
/// defaults.
pub(super) fn limits(knob: u8) -> Limits {
    if knob & 1 == 0 {
        Limits::default()
    } else {
        Limits::default()
            .max_request_line(16 + usize::from(knob >> 1))
            .max_header_line(8 + usize::from(knob >> 2))
            .max_header_bytes(64 + usize::from(knob))
            .max_headers(usize::from(knob >> 4))
            .max_body(u64::from(knob))
    }
}

/// What reading a head gave, in a form two reads can be compared in, and what was
/// left unread.
fn head_outcome(data: &[u8], capacity: usize, limits: &Limits) -> (String, Vec<u8>) {
    let mut rfile = BufReader::with_capacity(capacity, data);
    let outcome = read_head(&mut rfile, limits).expect("reading memory cannot fail");
    if let ReadHead::Rejected(reject) = &outcome {
        assert!(
            [400, 414, 431, 505].contains(&reject.status),
            "unexpected status {reject:?}"
        );
    }
    if let ReadHead::Request(head) = &outcome {
        assert!(head.headers.len() <= limits.max_headers);
        // Counted in characters: the line is decoded as Latin-1, one char a byte.
        assert!(head.requestline.chars().count() < limits.max_request_line);
        assert!(!head.requestline.contains(['\r', '\n']));
    }
    let mut rest = Vec::new();
    rfile.read_to_end(&mut rest).expect("reading memory");
    (format!("{outcome:?}"), rest)
}

/// Fuzz target `http_request_head`: a request head parses (or is refused with a
/// status from the set Python answers) the same however it arrives in reads, and
/// leaves the same bytes for the body.
pub fn http_request_head(data: &[u8]) {
    let (knob, data) = take_byte(data);
    let limits = limits(knob);
    let whole = head_outcome(data, 1 << 16, &limits);
    let small = head_outcome(data, 1 + usize::from(knob % 7), &limits);
    assert_eq!(whole, small);
}

/// Fuzz target `http_body_framing`: a head, then its `Content-Length` framing (within
/// `max_body`, or refused with 400/413/417/501), and a chunked body decoded from what
/// follows: the decoder never gives more than its limit, gives the same bytes however
/// they arrive, and leaves the same rest.
pub fn http_body_framing(data: &[u8]) {
    let (knob, data) = take_byte(data);
    let limits = limits(knob);
    let mut rfile = BufReader::new(data);
    if let ReadHead::Request(head) = read_head(&mut rfile, &limits).expect("memory") {
        match BodyState::framing(&head, &limits) {
            Ok(body) => assert!(body.remaining <= limits.max_body),
            Err((status, message)) => {
                assert!([400, 413, 417, 501].contains(&status), "{status} {message}");
            }
        }
    }
    // The chunked decoder, on the whole input as a body.
    let max = u64::from(knob) * 16;
    let whole = chunked(data, 1 << 16, max);
    let small = chunked(data, 1 + usize::from(knob % 5), max);
    assert_eq!(whole, small);
}

/// Decodes a chunked body off `data` read `capacity` bytes at a time: the body, the
/// error kind or the rest after the body.
fn chunked(data: &[u8], capacity: usize, max: u64) -> (Vec<u8>, Result<Vec<u8>, io::ErrorKind>) {
    let mut reader = ChunkedReader::new(BufReader::with_capacity(capacity, data), max);
    let mut body = Vec::new();
    let mut buf = [0; 61];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                body.extend_from_slice(&buf[..n]);
                assert!(body.len() as u64 <= max, "decoded past the limit");
                assert!(body.len() as u64 <= reader.decoded());
            }
            Err(err) => {
                assert!(
                    matches!(
                        err.kind(),
                        io::ErrorKind::InvalidData
                            | io::ErrorKind::FileTooLarge
                            | io::ErrorKind::UnexpectedEof
                    ),
                    "{err}"
                );
                // A failed decoder stays failed.
                assert!(reader.read(&mut buf).is_err());
                return (body, Err(err.kind()));
            }
        }
    }
    assert!(reader.is_done());
    let mut rest = Vec::new();
    reader.into_inner().read_to_end(&mut rest).expect("memory");
    (body, Ok(rest))
}

/// The handler the connection target serves with: a few paths that exercise bodies,
/// errors and early closes.
#[derive(Debug)]
struct App;

impl HttpHandler for App {
    fn handle(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        match req.path() {
            "/echo" => {
                let body = req.read_body()?;
                req.send_response(200)?;
                req.send_header("Content-Length", body.len())?;
                req.end_headers()?;
                req.wfile().write_all(&body)
            }
            "/half" => {
                // Reads one byte of the body; the rest is skipped or ends the
                // connection.
                let mut byte = [0; 1];
                let _ = req.body().read(&mut byte)?;
                req.send_response(204)?;
                req.end_headers()
            }
            "/close" => {
                req.close_connection();
                req.send_response(200)?;
                req.send_header("Content-Length", 2)?;
                req.end_headers()?;
                req.wfile().write_all(b"ok")
            }
            "/fail" => Err(io::Error::other("the handler failed")),
            _ => req.send_error(404, None),
        }
    }
}

/// Fuzz target `http_connection`: the whole HTTP connection driver over a socketpair.
/// Any bytes in (cut into writes from the input): the server ends the connection,
/// and what it sent is a sequence of complete, well-formed responses.
pub fn http_connection(data: &[u8]) {
    let (knob, data) = take_byte(data);
    let (seed, data) = take_byte(data);
    let options = Arc::new(HttpOptions {
        limits: limits(knob),
        ..HttpOptions::default()
    });
    let pieces = Splitter::new(u64::from(seed))
        .split(data, 1 + usize::from(seed))
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let (stream, socket) = stream_pair(1 + usize::from(knob) * 64, 8192);
    let client = client(socket, pieces);
    let mut connection = HttpConnection::new(stream, options);
    let started = std::time::Instant::now();
    let _ = RequestHandler::handle(&mut App, &mut connection);
    connection.stream.flush_after_finish();
    assert!(started.elapsed() < IO_TIMEOUT, "the connection hung");
    drop(connection);
    let output = client.join().expect("the client thread");
    check_responses(&output);
}

/// Panics unless `output` is a sequence of complete HTTP/1.x responses.
pub fn check_responses(mut output: &[u8]) {
    while !output.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(output) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not a response ({other:?}): {:?}",
                output[..output.len().min(200)].escape_ascii().to_string()
            ),
        };
        let status = response.code.expect("a status");
        assert!((100..=599).contains(&status), "status {status}");
        let length = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("Content-Length"))
            .map(|h| {
                std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .expect("a numeric Content-Length")
            });
        let body_len = match (status, length) {
            (100..=199 | 204 | 304, _) => 0,
            (_, Some(n)) => n,
            (_, None) => output.len() - head_len, // until the close
        };
        assert!(
            output.len() >= head_len + body_len,
            "a response cut short: {status}, {body_len} bytes announced"
        );
        output = &output[head_len + body_len..];
    }
}
