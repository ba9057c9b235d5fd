//! Reading a request head (request line and header fields) off a connection, within the
//! [`Limits`], and parsing it with `httparse`.
//!
//! The head is read line by line so that each limit maps to its status exactly as in
//! Python's `http.server`: a long request line is `414`, a long header line, too many
//! header bytes or too many fields is `431`. Once the blank line has arrived, `httparse`
//! parses the whole head; what it refuses is `400`, or `505` for a well-formed version
//! other than HTTP/1.0 and HTTP/1.1.

use std::io::{self, BufRead, Read};

use super::text::latin1;
use super::{Headers, Limits, Version};

/// A parsed request head: what a handler sees before the body.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) version: Version,
    pub(crate) requestline: String,
    pub(crate) headers: Headers,
}

/// A request refused before any handler saw it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reject {
    pub(crate) status: u16,
    pub(crate) message: String,
    /// The request line, when it was read whole (for the access log).
    pub(crate) requestline: Option<String>,
}

impl Reject {
    fn new(status: u16, message: impl Into<String>, requestline: Option<&str>) -> Self {
        Reject {
            status,
            message: message.into(),
            requestline: requestline.map(str::to_owned),
        }
    }
}

#[derive(Debug)]
pub(crate) enum ReadHead {
    Request(Head),
    /// The client closed the connection (or sent half a head and closed) between requests.
    Closed,
    Rejected(Reject),
}

/// Blank lines tolerated before a request line (RFC 9112 §2.2 asks servers to skip some).
const MAX_LEADING_BLANK_LINES: usize = 16;

/// Reads one request head from `rfile`, leaving `rfile` at the first byte of the body.
pub(crate) fn read_head(rfile: &mut impl BufRead, limits: &Limits) -> io::Result<ReadHead> {
    let mut raw = Vec::with_capacity(512);
    let mut blank_lines = 0;
    loop {
        raw.clear();
        if read_line(rfile, limits.max_request_line, &mut raw)? == 0 {
            return Ok(ReadHead::Closed);
        }
        if raw.len() > limits.max_request_line {
            return Ok(ReadHead::Rejected(Reject::new(414, "URI Too Long", None)));
        }
        if !raw.ends_with(b"\n") {
            return Ok(ReadHead::Closed);
        }
        if !is_blank(&raw) {
            break;
        }
        blank_lines += 1;
        if blank_lines > MAX_LEADING_BLANK_LINES {
            return Ok(ReadHead::Rejected(Reject::new(
                400,
                "Too many blank lines",
                None,
            )));
        }
    }
    let line_end = raw.len();
    let requestline = latin1(trim_line_ending(&raw));

    // A line longer than the whole block is refused as soon as it is over the block, so
    // a raised `max_header_line` never buffers more than `max_header_bytes`.
    let max_line = limits.max_header_line.min(limits.max_header_bytes);
    let mut fields = 0;
    loop {
        let start = raw.len();
        if read_line(rfile, max_line, &mut raw)? == 0 {
            return Ok(ReadHead::Closed);
        }
        let line = &raw[start..];
        if line.len() > max_line {
            let reject = Reject::new(431, "Line too long", Some(&requestline));
            return Ok(ReadHead::Rejected(reject));
        }
        if !line.ends_with(b"\n") {
            return Ok(ReadHead::Closed);
        }
        if is_blank(line) {
            break;
        }
        fields += 1;
        if fields > limits.max_headers {
            let reject = Reject::new(431, "Too many headers", Some(&requestline));
            return Ok(ReadHead::Rejected(reject));
        }
        if raw.len() - line_end > limits.max_header_bytes {
            let reject = Reject::new(431, "Header fields too large", Some(&requestline));
            return Ok(ReadHead::Rejected(reject));
        }
    }
    Ok(match parse(&raw, fields, &requestline) {
        Ok(head) => ReadHead::Request(head),
        Err(reject) => ReadHead::Rejected(reject),
    })
}

/// Parses a complete head (request line, `fields` header lines, blank line).
fn parse(raw: &[u8], fields: usize, requestline: &str) -> Result<Head, Reject> {
    let mut storage = vec![httparse::EMPTY_HEADER; fields];
    let mut request = httparse::Request::new(&mut storage);
    match request.parse(raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Reject::new(400, "Incomplete request", Some(requestline)));
        }
        Err(httparse::Error::Version) => return Err(version_reject(requestline)),
        Err(err) => {
            let message = format!("Bad request syntax ({err})");
            return Err(Reject::new(400, message, Some(requestline)));
        }
    }
    let (Some(method), Some(path), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(Reject::new(400, "Bad request syntax", Some(requestline)));
    };
    let version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    let mut headers = Headers::with_capacity(request.headers.len());
    for field in request.headers.iter() {
        headers.push(field.name.to_owned(), latin1(field.value));
    }
    Ok(Head {
        method: method.to_owned(),
        path: collapse_leading_slashes(path),
        version,
        requestline: requestline.to_owned(),
        headers,
    })
}

/// httparse refuses every version but 1.0 and 1.1 with the same error; Python answers a
/// well-formed other version with `505` and anything else with `400`.
fn version_reject(requestline: &str) -> Reject {
    let words: Vec<&str> = requestline.split_ascii_whitespace().collect();
    let [_, _, version] = words[..] else {
        let message = format!("Bad request syntax ({requestline:?})");
        return Reject::new(400, message, Some(requestline));
    };
    let number = version.strip_prefix("HTTP/").unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = match number.split_once('.') {
        Some((major, minor)) => digits(major) && digits(minor),
        None => digits(number),
    };
    if well_formed {
        let message = format!("Invalid HTTP version ({number})");
        Reject::new(505, message, Some(requestline))
    } else {
        let message = format!("Bad request version ({version:?})");
        Reject::new(400, message, Some(requestline))
    }
}

/// Appends one line to `buf`, reading at most `limit + 1` bytes so that an endless line
/// is noticed without being buffered; returns how many bytes were appended.
fn read_line(rfile: &mut impl BufRead, limit: usize, buf: &mut Vec<u8>) -> io::Result<usize> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    rfile.by_ref().take(cap).read_until(b'\n', buf)
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\r\n" || line == b"\n"
}

fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `//evil.example/x` would read as a host to a browser following a redirect built from
/// the path; Python collapses the leading slashes (gh-87389), and so does this.
fn collapse_leading_slashes(path: &str) -> String {
    if path.starts_with("//") {
        format!("/{}", path.trim_start_matches('/'))
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], limits: &Limits) -> ReadHead {
        let mut rfile = io::BufReader::new(input);
        read_head(&mut rfile, limits).expect("reading from memory does not fail")
    }

    fn status(input: &[u8], limits: &Limits) -> u16 {
        match read(input, limits) {
            ReadHead::Rejected(reject) => reject.status,
            ReadHead::Request(head) => panic!("accepted {head:?}"),
            ReadHead::Closed => panic!("closed"),
        }
    }

    #[test]
    fn parses_a_request_and_leaves_the_body() {
        let input = b"\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nX-Latin: caf\xe9\r\n\r\nbody";
        let mut rfile = io::BufReader::new(&input[..]);
        let ReadHead::Request(head) = read_head(&mut rfile, &Limits::default()).unwrap() else {
            panic!("not parsed");
        };
        assert_eq!(head.method, "POST");
        assert_eq!(head.path, "/upload?x=1");
        assert_eq!(head.version, Version::Http11);
        assert_eq!(head.requestline, "POST /upload?x=1 HTTP/1.1");
        assert_eq!(head.headers.get("content-length"), Some("4"));
        assert_eq!(head.headers.get("X-Latin"), Some("café"));
        let mut body = String::new();
        rfile.read_to_string(&mut body).unwrap();
        assert_eq!(body, "body");
    }

    #[test]
    fn http10_and_bare_newlines() {
        let ReadHead::Request(head) = read(b"GET / HTTP/1.0\nA: b\n\n", &Limits::default()) else {
            panic!("not parsed");
        };
        assert_eq!(head.version, Version::Http10);
        assert_eq!(head.headers.len(), 1);
    }

    #[test]
    fn request_line_limit_is_414() {
        let limits = Limits::default().max_request_line(32);
        let mut line = b"GET /".to_vec();
        line.extend(std::iter::repeat_n(b'a', 40));
        line.extend(b" HTTP/1.1\r\n\r\n");
        assert_eq!(status(&line, &limits), 414);
        assert!(matches!(
            read(b"GET /aaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", &limits),
            ReadHead::Request(_)
        ));
    }

    #[test]
    fn python_default_request_line_limit() {
        let mut line = b"GET /".to_vec();
        line.extend(std::iter::repeat_n(b'a', 65536));
        line.extend(b" HTTP/1.1\r\n\r\n");
        assert_eq!(status(&line, &Limits::default()), 414);
    }

    #[test]
    fn header_line_limit_is_431() {
        let limits = Limits::default().max_header_line(64);
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "v".repeat(100));
        let ReadHead::Rejected(reject) = read(long.as_bytes(), &limits) else {
            panic!("accepted");
        };
        assert_eq!(reject.status, 431);
        assert_eq!(reject.message, "Line too long");
        assert_eq!(reject.requestline.as_deref(), Some("GET / HTTP/1.1"));
    }

    #[test]
    fn header_count_limit_is_431() {
        let mut request = String::from("GET / HTTP/1.1\r\n");
        for i in 0..100 {
            request.push_str(&format!("X-{i}: v\r\n"));
        }
        let at_limit = format!("{request}\r\n");
        assert!(matches!(
            read(at_limit.as_bytes(), &Limits::default()),
            ReadHead::Request(head) if head.headers.len() == 100
        ));
        let over = format!("{request}X-100: v\r\n\r\n");
        assert_eq!(status(over.as_bytes(), &Limits::default()), 431);
    }

    #[test]
    fn total_header_bytes_limit_is_431() {
        let limits = Limits::default().max_header_bytes(100);
        let request = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "X-Some-Header: value\r\n".repeat(6)
        );
        assert_eq!(status(request.as_bytes(), &limits), 431);
    }

    #[test]
    fn malformed_requests_are_400() {
        let limits = Limits::default();
        for input in [
            &b"GET /\r\n\r\n"[..],                        // HTTP/0.9
            b"GET / HTTP/1.1 extra\r\n\r\n",              // four words
            b"GET /a b HTTP/1.1\r\n\r\n",                 // space in the path
            b"GET / HTTP/x.y\r\n\r\n",                    // version not numbers
            b"GET / FTP/1.1\r\n\r\n",                     // not HTTP
            b"G(T / HTTP/1.1\r\n\r\n",                    // method not a token
            b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",   // field without a colon
            b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", // obsolete line folding
            b"GET / HTTP/1.1\r\nBad Name: v\r\n\r\n",     // space in a field name
            b"\x00\x01\x02\r\n\r\n",                      // binary garbage
        ] {
            assert_eq!(status(input, &limits), 400, "{:?}", latin1(input));
        }
    }

    #[test]
    fn other_versions_are_505() {
        for input in [
            &b"GET / HTTP/2.0\r\n\r\n"[..],
            b"GET / HTTP/0.9\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET / HTTP/3\r\n\r\n",
            b"GET / HTTP/1.2\r\n\r\n",
        ] {
            assert_eq!(
                status(input, &Limits::default()),
                505,
                "{:?}",
                latin1(input)
            );
        }
    }

    #[test]
    fn end_of_input_between_or_inside_requests_is_a_close() {
        for input in [&b""[..], b"GET / HTT", b"GET / HTTP/1.1\r\nHost: a\r\n"] {
            assert!(matches!(read(input, &Limits::default()), ReadHead::Closed));
        }
    }

    #[test]
    fn endless_blank_lines_are_refused() {
        let input = "\r\n".repeat(100);
        assert_eq!(status(input.as_bytes(), &Limits::default()), 400);
    }

    /// Pieces of requests, glued at random: every outcome is allowed but a panic.
    #[test]
    fn random_heads_never_panic() {
        const PIECES: [&[u8]; 16] = [
            b"GET",
            b"POST",
            b" ",
            b"/",
            b"HTTP/1.1",
            b"HTTP/2.0",
            b"HTTP/",
            b"\r\n",
            b"\n",
            b"\r",
            b":",
            b"Content-Length",
            b"\x00",
            b"\xff\xfe",
            b"\t",
            b"9",
        ];
        let limits = Limits::default()
            .max_request_line(64)
            .max_header_line(32)
            .max_header_bytes(128)
            .max_headers(4);
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            // xorshift64: reproducible without a dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let mut input = Vec::new();
            for _ in 0..len {
                input.extend_from_slice(PIECES[(next() % 16) as usize]);
            }
            let mut rfile = io::BufReader::new(&input[..]);
            if let ReadHead::Rejected(reject) = read_head(&mut rfile, &limits).unwrap() {
                assert!([400, 414, 431, 505].contains(&reject.status), "{reject:?}");
            }
        }
    }

    #[test]
    fn leading_slashes_collapse() {
        let ReadHead::Request(head) =
            read(b"GET //evil.example/x HTTP/1.1\r\n\r\n", &Limits::default())
        else {
            panic!("not parsed");
        };
        assert_eq!(head.path, "/evil.example/x");
    }
}
