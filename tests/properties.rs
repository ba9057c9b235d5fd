//! Properties (proptest) of the byte-stream paths, through the public API and real servers
//! on loopback: however a stream is cut into reads, the event loop's line framing, the
//! blocking `rfile`'s line reading and the HTTP request parser give the same result, and
//! echo gives back exactly the bytes sent, whatever they are.
//!
//! The case counts are bounded so the file runs in seconds; the fuzz targets in `fuzz/`
//! explore the same paths for longer.

mod support;

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::thread;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use socketserver::event::{Context, EventLoopTcpServer, LineBuffer};
use socketserver::{StreamRequest, ThreadingTcpServer};
use support::{connect, Serving};

/// Bytes with many line ends among them, so that cuts fall next to them.
fn stream_bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            6 => any::<u8>(),
            2 => Just(b'\n'),
            1 => Just(b'\r'),
            2 => b'a'..=b'e',
        ],
        0..max_len,
    )
}

/// `data` cut at the given piece sizes (cycled), the last piece taking what is left.
fn cut(data: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut pieces = Vec::new();
    let mut rest = data;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let size = (*sizes.next().expect("at least one size")).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(size);
        pieces.push(piece.to_vec());
        rest = tail;
    }
    pieces
}

fn sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(1usize..48, 1..16)
}

/// Lines as every reader must give them: each with its `\n`, the last maybe without.
fn reference_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// What [`LineBuffer`] made of `pieces`: the lines, then the unfinished rest or the error.
fn frame(pieces: &[Vec<u8>], max: usize) -> (Vec<Vec<u8>>, Result<Vec<u8>, io::ErrorKind>) {
    let mut buffer = LineBuffer::new();
    let mut lines = Vec::new();
    for piece in pieces {
        let fed = buffer.feed(piece, max, |line| {
            lines.push(line.to_vec());
            Ok(())
        });
        if let Err(err) = fed {
            return (lines, Err(err.kind()));
        }
    }
    (lines, Ok(buffer.take_rest().unwrap_or_default()))
}

#[test]
fn event_loop_line_framing_does_not_depend_on_how_the_stream_is_cut() {
    let strategy = (stream_bytes(400), sizes(), sizes(), 1usize..40);
    let mut runner = TestRunner::new(Config::with_cases(400));
    runner
        .run(&strategy, |(data, a, b, max)| {
            let whole = frame(std::slice::from_ref(&data), max);
            prop_assert_eq!(&frame(&cut(&data, &a), max), &whole);
            prop_assert_eq!(&frame(&cut(&data, &b), max), &whole);
            // Without a limit, the lines are exactly the reference split.
            let (lines, rest) = frame(&cut(&data, &a), usize::MAX);
            let mut all = lines;
            let rest = rest.expect("no limit, no error");
            if !rest.is_empty() {
                all.push(rest);
            }
            prop_assert_eq!(all, reference_lines(&data));
            Ok(())
        })
        .unwrap();
}

/// Sends `pieces` (one write each, Nagle off) from a second thread, then ends the
/// input; returns everything the server sent until it closed.
fn exchange(addr: SocketAddr, pieces: Vec<Vec<u8>>) -> Vec<u8> {
    let stream = connect(addr);
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        for piece in pieces {
            writer.write_all(&piece)?;
        }
        writer.shutdown(Shutdown::Write)
    });
    let mut got = Vec::new();
    (&stream).read_to_end(&mut got).expect("the server's reply");
    sender.join().unwrap().expect("sending");
    got
}

/// The rfile server's answer: each line it read, prefixed with its length (4 bytes).
fn framed_lines(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        let len = u32::try_from(line.len()).expect("a short line");
        req.wfile.write_all(&len.to_be_bytes())?;
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

fn unframe(mut reply: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    while !reply.is_empty() {
        let len = u32::from_be_bytes(reply[..4].try_into().unwrap()) as usize;
        lines.push(reply[4..4 + len].to_vec());
        reply = &reply[4 + len..];
    }
    lines
}

#[test]
fn rfile_reads_the_same_lines_however_they_arrive() {
    // A small read buffer, so lines also straddle the reader's own refills.
    let server = ThreadingTcpServer::builder()
        .rbufsize(7)
        .bind("127.0.0.1:0", || framed_lines)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let strategy = (stream_bytes(600), sizes());
    let mut runner = TestRunner::new(Config::with_cases(48));
    runner
        .run(&strategy, |(data, sizes)| {
            let reply = exchange(addr, cut(&data, &sizes));
            prop_assert_eq!(unframe(&reply), reference_lines(&data));
            Ok(())
        })
        .unwrap();
    serving.stop().unwrap();
}

/// The HTTP property (feature `http`).
#[cfg(feature = "http")]
mod http_answers {
    use super::*;
    use socketserver::http::Limits;
    use support::http_app::serve_app;

    /// One request for the HTTP property: well-formed, or with a header the parser refuses.
    #[derive(Debug, Clone)]
    struct Request {
        path: &'static str,
        header_name: String,
        header_value: Vec<u8>,
        body: Vec<u8>,
    }

    fn request() -> impl Strategy<Value = Request> {
        (
            prop::sample::select(vec!["/echo", "/hello", "/count", "/missing", "/ignore"]),
            "[A-Za-z][A-Za-z0-9-]{0,12}|[A-Z ]{1,3}|",
            vec(
                prop_oneof![8 => 0x20u8..0x7f, 1 => any::<u8>(), 1 => Just(b'\r')],
                0..40,
            ),
            vec(any::<u8>(), 0..300),
        )
            .prop_map(|(path, header_name, header_value, body)| Request {
                path,
                header_name,
                header_value,
                body,
            })
    }

    /// The bytes of `requests` on one connection, the last asking for the close.
    fn http_bytes(requests: &[Request]) -> Vec<u8> {
        let mut raw = Vec::new();
        for (i, request) in requests.iter().enumerate() {
            let method = if request.path == "/echo" || request.path == "/ignore" {
                "POST"
            } else {
                "GET"
            };
            raw.extend_from_slice(
                format!("{method} {} HTTP/1.1\r\nHost: a\r\n", request.path).as_bytes(),
            );
            raw.extend_from_slice(request.header_name.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(&request.header_value);
            raw.extend_from_slice(b"\r\n");
            if i + 1 == requests.len() {
                raw.extend_from_slice(b"Connection: close\r\n");
            }
            raw.extend_from_slice(
                format!("Content-Length: {}\r\n\r\n", request.body.len()).as_bytes(),
            );
            raw.extend_from_slice(&request.body);
        }
        raw
    }

    /// The responses without their `Date` lines, which change with the second.
    fn without_dates(responses: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(responses.len());
        let mut rest = responses;
        while let Some(at) = find(rest, b"\r\nDate: ") {
            out.extend_from_slice(&rest[..at]);
            let line_end = find(&rest[at + 2..], b"\r\n").map_or(rest.len(), |end| at + 2 + end);
            rest = &rest[line_end..];
        }
        out.extend_from_slice(rest);
        out
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn http_requests_get_the_same_answers_however_they_are_cut() {
        let (addr, _server, serving) = serve_app(Limits::default().max_body(1 << 16));
        let strategy = (vec(request(), 1..4), sizes());
        let mut runner = TestRunner::new(Config::with_cases(48));
        runner
            .run(&strategy, |(requests, sizes)| {
                let raw = http_bytes(&requests);
                let whole = without_dates(&exchange(addr, vec![raw.clone()]));
                let pieces = without_dates(&exchange(addr, cut(&raw, &sizes)));
                prop_assert_eq!(&pieces, &whole, "{}", raw.escape_ascii());
                prop_assert!(whole.starts_with(b"HTTP/1."), "{}", whole.escape_ascii());
                // A well-formed echo request, alone, comes back whole.
                let [only] = &requests[..] else { return Ok(()) };
                let well_formed = !only.header_name.is_empty()
                    && only
                        .header_name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && only.header_value.iter().all(|&b| (0x20..0x7f).contains(&b));
                if only.path == "/echo" && well_formed {
                    prop_assert!(
                        whole.starts_with(b"HTTP/1.1 200 "),
                        "{}",
                        whole.escape_ascii()
                    );
                    prop_assert!(whole.ends_with(&only.body));
                }
                Ok(())
            })
            .unwrap();
        serving.stop().unwrap();
    }
}

/// Echoes raw bytes as they come: no framing at all.
fn echo_bytes(req: &mut StreamRequest) -> io::Result<()> {
    let mut buf = [0; 1000];
    loop {
        match req.rfile.read(&mut buf)? {
            0 => return Ok(()),
            n => req.wfile.write_all(&buf[..n])?,
        }
    }
}

#[test]
fn echo_is_byte_exact_for_any_bytes() {
    let threading = ThreadingTcpServer::builder()
        .bind("127.0.0.1:0", || echo_bytes)
        .unwrap();
    let event_loop = EventLoopTcpServer::builder()
        .bind("127.0.0.1:0", || {
            |ctx: &mut Context<'_>, data: &[u8]| {
                ctx.send(data);
                Ok(())
            }
        })
        .unwrap();
    let addrs = [
        threading.local_addr().unwrap(),
        event_loop.local_addr().unwrap(),
    ];
    let (threading, event_loop) = (Arc::new(threading), Arc::new(event_loop));
    let serving = [
        {
            let server = Arc::clone(&threading);
            Serving::start(server.shutdown_handle(), move || server.serve_forever())
        },
        {
            let server = Arc::clone(&event_loop);
            Serving::start(server.shutdown_handle(), move || server.serve_forever())
        },
    ];
    let strategy = (vec(any::<u8>(), 0..20_000), vec(1usize..4096, 1..8));
    let mut runner = TestRunner::new(Config::with_cases(32));
    runner
        .run(&strategy, |(data, sizes)| {
            for addr in addrs {
                let got = exchange(addr, cut(&data, &sizes));
                prop_assert!(
                    got == data,
                    "{} bytes sent, {} back from {addr}",
                    data.len(),
                    got.len()
                );
            }
            Ok(())
        })
        .unwrap();
    for serving in serving {
        serving.stop().unwrap();
    }
}
