//! Thin entry points for the fuzz targets in `fuzz/` and the property tests (feature
//! `fuzzing`; not part of the documented API, and no stability promise).
//!
//! Each function takes arbitrary bytes, drives one of the crate's parsers or I/O paths
//! with them the way a server does, and panics when an invariant breaks: a panic is what
//! a fuzzer reports. Bytes at the start of the input choose the knobs (limits, how the
//! stream is cut into reads), so one corpus explores them too. Whatever goes over a
//! socket goes over a `socketpair` or loopback made here: nothing leaves the machine.

use std::io::{self, BufRead, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use crate::event::LineBuffer;
use crate::handler::Stream;
use crate::server::ShutdownHandle;
use crate::{Address, Connection, ServerInfo, StreamRequest};

/// How long one input may take on a socket before the target calls it a hang.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A little deterministic generator, seeded from the input, for cutting it into pieces.
#[derive(Debug, Clone)]
pub struct Splitter(u64);

impl Splitter {
    /// A generator seeded with `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Splitter(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    /// The next piece length, 1 to `max`.
    pub fn next_len(&mut self, max: usize) -> usize {
        // xorshift64: enough to vary the cuts, reproducible from the input.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        1 + (self.0 % max.max(1) as u64) as usize
    }

    /// `data` cut into pieces of 1 to `max` bytes.
    pub fn split<'a>(&mut self, mut data: &'a [u8], max: usize) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        while !data.is_empty() {
            let (piece, rest) = data.split_at(self.next_len(max).min(data.len()));
            pieces.push(piece);
            data = rest;
        }
        pieces
    }
}

/// Takes the first byte of `data` (0 when empty) and returns it with the rest.
fn take_byte(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, data),
    }
}

/// The server identity a request needs; one per process.
fn server_info() -> Arc<ServerInfo> {
    static INFO: OnceLock<Arc<ServerInfo>> = OnceLock::new();
    let info = INFO.get_or_init(|| {
        let state = crate::server::ShutdownState::new()
            .expect("a wake-up descriptor for the fuzzing server identity");
        Arc::new(ServerInfo {
            server_address: Address::Inet(([127, 0, 0, 1], 0).into()),
            shutdown: ShutdownHandle::new(Arc::new(state)),
        })
    });
    Arc::clone(info)
}

/// A [`StreamRequest`] on one end of a socketpair, and the other end (the client).
fn stream_pair(rbufsize: usize, wbufsize: usize) -> (StreamRequest, UnixStream) {
    let (server, client) = UnixStream::pair().expect("a socketpair");
    server.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    server.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    client.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    client.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let peer = server.peer_addr().expect("a socketpair's peer address");
    let stream = Arc::new(Stream::new(Connection::Unix(server), wbufsize));
    let request = StreamRequest::new(stream, Address::Unix(peer), rbufsize, server_info(), 0);
    (request, client)
}

/// Starts the client side: writes `pieces` (one write each), shuts its write half, and
/// reads everything the server sends until the server closes.
fn client(mut socket: UnixStream, pieces: Vec<Vec<u8>>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut reader = socket.try_clone().expect("a second handle");
        let writer = thread::spawn(move || {
            for piece in pieces {
                if socket.write_all(&piece).is_err() {
                    break; // the server closed early: fine, what it sent is checked
                }
            }
            let _ = socket.shutdown(Shutdown::Write);
        });
        let mut output = Vec::new();
        match reader.read_to_end(&mut output) {
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
            Err(err) => panic!("the server neither answered nor closed: {err}"),
        }
        let _ = writer.join();
        output
    })
}

/// Splits `data` into lines the way every line reader here must: each ends with its
/// `\n`; the last may have none.
pub fn reference_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// What a line reader made of a stream: the whole lines, then either the unfinished
/// rest (`Ok`) or the error that stopped it (its kind).
pub type Lines = (Vec<Vec<u8>>, Result<Vec<u8>, io::ErrorKind>);

/// The event loop's line framing ([`LineBuffer`]) over `data` fed in `pieces`, with
/// `max_line_length`.
pub fn event_loop_lines(pieces: &[&[u8]], max_line_length: usize) -> Lines {
    let mut buffer = LineBuffer::new();
    let mut lines = Vec::new();
    for piece in pieces {
        let fed = buffer.feed(piece, max_line_length, |line| {
            assert!(
                line.len() <= max_line_length.saturating_add(1),
                "a line over the limit"
            );
            assert_eq!(line.iter().position(|&b| b == b'\n'), Some(line.len() - 1));
            lines.push(line.to_vec());
            Ok(())
        });
        if let Err(err) = fed {
            assert_eq!(buffer.buffered(), 0, "the buffer is emptied on an error");
            return (lines, Err(err.kind()));
        }
        assert!(
            buffer.buffered() <= max_line_length,
            "held more than a line"
        );
    }
    (lines, Ok(buffer.take_rest().unwrap_or_default()))
}

/// What [`event_loop_lines`] must give, computed from the whole stream at once.
pub fn expected_event_loop_lines(data: &[u8], max_line_length: usize) -> Lines {
    let mut lines = Vec::new();
    for line in reference_lines(data) {
        let content = line.len() - usize::from(line.ends_with(b"\n"));
        if content > max_line_length {
            return (lines, Err(io::ErrorKind::InvalidData));
        }
        if line.ends_with(b"\n") {
            lines.push(line);
        } else {
            return (lines, Ok(line));
        }
    }
    (lines, Ok(Vec::new()))
}

/// The blocking `rfile` (a [`SocketReader`](crate::SocketReader) with a read buffer of
/// `rbufsize`) reading lines with `read_until`, the client writing `pieces` over a
/// socketpair. Returns the lines, the last without `\n` if the stream ended so.
pub fn rfile_lines(pieces: &[&[u8]], rbufsize: usize) -> Vec<Vec<u8>> {
    let (mut request, socket) = stream_pair(rbufsize, 0);
    let client = client(socket, pieces.iter().map(|p| p.to_vec()).collect());
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        match request.rfile.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => lines.push(line),
            Err(err) => panic!("reading lines from a socketpair failed: {err}"),
        }
    }
    drop(request);
    let _ = client.join();
    lines
}

/// Fuzz target `line_framing`: both line readers, over any cut of the input into reads,
/// give what the whole input gives.
pub fn line_framing(data: &[u8]) {
    let (knob, data) = take_byte(data);
    let (seed, data) = take_byte(data);
    let max_line_length = 1 + usize::from(knob % 64);
    let max_piece = 1 + usize::from(knob >> 6) * 37;
    let pieces = Splitter::new(u64::from(seed)).split(data, max_piece);
    assert_eq!(
        event_loop_lines(&pieces, max_line_length),
        expected_event_loop_lines(data, max_line_length),
        "event loop framing, limit {max_line_length}"
    );
    assert_eq!(
        event_loop_lines(&pieces, usize::MAX),
        expected_event_loop_lines(data, usize::MAX)
    );
    let rbufsize = 1 + usize::from(seed % 16);
    assert_eq!(
        rfile_lines(&pieces, rbufsize),
        reference_lines(data),
        "rfile, rbufsize {rbufsize}"
    );
}

/// Fuzz target `proxy_header`: the PROXY header parser on the input and on every prefix
/// of it. A header is never longer than its input or the maximum; every prefix of a
/// header is `Incomplete` (so a reader may wait for more) and parsing only the header's
/// bytes gives the same header.
pub fn proxy_header(data: &[u8]) {
    use crate::proxy::{parse, Parsed, MAX_HEADER_LEN};
    let peer = Address::Inet(([127, 0, 0, 1], 9).into());
    match parse(data, &peer) {
        Parsed::Incomplete => {
            assert!(data.len() < MAX_HEADER_LEN, "incomplete past the maximum");
        }
        Parsed::Invalid(why) => assert!(!why.is_empty()),
        Parsed::Header { len, header } => {
            assert!(len <= data.len() && len <= MAX_HEADER_LEN, "length {len}");
            assert!(header.version == 1 || header.version == 2);
            match parse(&data[..len], &peer) {
                Parsed::Header {
                    len: again,
                    header: same,
                } => {
                    assert_eq!(again, len);
                    assert_eq!(format!("{same:?}"), format!("{header:?}"));
                }
                other => panic!("the header's own bytes parse as {other:?}"),
            }
            for cut in 0..len {
                let prefix = parse(&data[..cut], &peer);
                assert!(
                    matches!(prefix, Parsed::Incomplete),
                    "prefix of {cut} of a {len}-byte header: {prefix:?}"
                );
            }
        }
    }
}

/// Fuzz target `datagrams`: datagrams cut from the input go through the datagram
/// server's path (receive into recycled buffers, open the request, a handler, the reply
/// after it) over loopback UDP; each reply is the packet reversed, and a packet over
/// `max_packet_size` is refused, not truncated.
pub fn datagrams(data: &[u8]) {
    use crate::handler::{DatagramReceiver, DatagramSocket};
    use crate::server::{
        datagrams_end as end, datagrams_receive as receive, DatagramOptions, RequestContext,
    };
    use std::net::UdpSocket;

    let (knob, data) = take_byte(data);
    let (seed, data) = take_byte(data);
    let max_packet_size = usize::from(knob) * 4;
    let server = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
    server.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let to = server.local_addr().expect("its address");
    let peer = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
    peer.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let options = DatagramOptions { max_packet_size };
    let receiver = DatagramReceiver::new(DatagramSocket::Udp(server), options.max_packet_size);
    let context = RequestContext::new(server_info(), options);
    // Empty pieces too: an empty datagram is a request with an empty packet.
    let mut splitter = Splitter::new(u64::from(seed));
    let mut rest = data;
    for _ in 0..64 {
        if rest.is_empty() {
            break;
        }
        let len = (splitter.next_len(max_packet_size + 40) - 1).min(rest.len());
        let (packet, tail) = rest.split_at(len);
        rest = tail;
        peer.send_to(packet, to).expect("sending on loopback");
        let incoming = receive(&receiver).expect("receiving on loopback");
        match incoming.open(&context) {
            Ok(mut request) => {
                assert!(packet.len() <= max_packet_size);
                assert_eq!(request.packet(), packet);
                let mut got = Vec::new();
                request.rfile.read_to_end(&mut got).expect("reading memory");
                got.reverse();
                request.wfile.extend_from_slice(&got);
                end(request, &mut |err| panic!("replying failed: {err}"));
                if !packet.is_empty() {
                    let mut reply = vec![0; packet.len() + 1];
                    let n = peer.recv(&mut reply).expect("the reply");
                    let mut expected = packet.to_vec();
                    expected.reverse();
                    assert_eq!(&reply[..n], expected);
                }
            }
            Err(crate::Error::DatagramTooLarge { .. }) => {
                assert!(packet.len() > max_packet_size, "{} bytes", packet.len());
            }
            Err(err) => panic!("unexpected error: {err}"),
        }
    }
    // Nothing more came back than the replies checked above.
    peer.set_nonblocking(true).expect("non-blocking");
    let mut extra = [0; 1];
    assert!(peer.recv(&mut extra).is_err(), "an unexpected datagram");
}

#[cfg(feature = "http")]
mod http_targets {
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
    fn chunked(
        data: &[u8],
        capacity: usize,
        max: u64,
    ) -> (Vec<u8>, Result<Vec<u8>, io::ErrorKind>) {
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
}

#[cfg(feature = "http")]
pub use http_targets::{check_responses, http_body_framing, http_connection, http_request_head};

/// Fuzz target `tls_setup`: the event loop's TLS server side (rustls as the crate
/// configures it) fed the input as client bytes, cut into reads: it answers, fails with
/// a TLS error, or waits for more; never panics or queues without bound. With the top bit
/// of the first byte set, the blocking modes' handshake instead
/// (`tls_blocking_handshake`).
#[cfg(feature = "tls")]
pub fn tls_setup(config: &crate::tls::TlsConfig, data: &[u8]) {
    use crate::event::{EventTls, WriteQueue};

    let (seed, data) = take_byte(data);
    if seed & 0x80 != 0 {
        return tls_blocking_handshake(config, seed, data);
    }
    let mut tls = EventTls::new(config, std::time::Instant::now()).expect("a TLS session");
    let mut out = WriteQueue::default();
    let mut plain = [0; 4096];
    for piece in Splitter::new(u64::from(seed)).split(data, 1 + usize::from(seed) * 8) {
        let mut piece = piece;
        let mut rounds = 0;
        let failed = loop {
            if piece.is_empty() {
                break false;
            }
            rounds += 1;
            assert!(rounds < 100_000, "rustls takes no bytes");
            match tls.receive(&mut piece, &mut out) {
                Ok(_) => {}
                Err(crate::Error::Tls(why)) => {
                    assert!(!why.is_empty());
                    break true;
                }
                Err(other) => panic!("not a TLS error: {other}"),
            }
            while let Some(n) = tls.plaintext(&mut plain) {
                if n == 0 {
                    break;
                }
            }
        };
        assert!(
            out.len() < 1 << 20,
            "{} bytes queued for the client",
            out.len()
        );
        if failed {
            return;
        }
    }
    if tls.is_established() {
        tls.encrypt(b"hello\n", &mut out);
    }
    tls.close(&mut out);
}

/// The blocking modes' handshake (`TlsSession::handshake`) on a socketpair, the client
/// writing the input in pieces and then ending its side: it fails with a TLS or I/O
/// error (arbitrary bytes cannot finish a handshake) within its timeout, and leaves the
/// client a close, never a hang.
#[cfg(feature = "tls")]
fn tls_blocking_handshake(config: &crate::tls::TlsConfig, seed: u8, data: &[u8]) {
    let config = config.clone().handshake_timeout(Duration::from_secs(5));
    let (server, socket) = UnixStream::pair().expect("a socketpair");
    socket.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    socket.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let pieces = Splitter::new(u64::from(seed))
        .split(data, 1 + usize::from(seed & 0x7f) * 8)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let client = client(socket, pieces);
    let connection = Connection::Unix(server);
    let started = std::time::Instant::now();
    match crate::tls::TlsSession::handshake(&connection, &config) {
        Ok(_) => {} // a forged handshake would have to break the crypto; allowed, not expected
        Err(crate::Error::Tls(why)) => assert!(!why.is_empty()),
        Err(crate::Error::Io(_)) => {}
        Err(other) => panic!("not a TLS or I/O error: {other}"),
    }
    assert!(
        started.elapsed() < IO_TIMEOUT,
        "the handshake outlived its timeout"
    );
    drop(connection);
    let answer = client.join().expect("the client thread");
    assert!(
        answer.len() < 1 << 16,
        "{} bytes sent to the client",
        answer.len()
    );
}

/// A TLS configuration for [`tls_setup`] from PEM files.
#[cfg(feature = "tls")]
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> crate::tls::TlsConfig {
    crate::tls::TlsConfig::from_pem_files(cert, key).expect("the fuzz certificate")
}
