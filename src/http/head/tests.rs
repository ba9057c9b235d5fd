//! Tests of reading heads: what is accepted, each limit's status, malformed requests
//! and random input.

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
