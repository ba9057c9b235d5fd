//! Tests of the chunked coding: bodies cut at every byte, malformed and oversized ones.

use std::io::{self, IoSlice, Read, Write};

use super::reader::*;
use super::writer::*;
use crate::http::text::latin1;
use std::io::BufReader;

/// Hands out its bytes in pieces: up to the next cut per read, or one byte per read.
/// With `stall`, every read that starts a new piece first fails with `WouldBlock`
/// (a read timeout), once.
struct Pieces {
    data: Vec<u8>,
    pos: usize,
    cuts: Vec<usize>,
    stall: bool,
    stalled_at: Option<usize>,
}

impl Pieces {
    fn new(data: &[u8], cuts: Vec<usize>) -> Self {
        Pieces {
            data: data.to_vec(),
            pos: 0,
            cuts,
            stall: false,
            stalled_at: None,
        }
    }

    fn bytewise(data: &[u8]) -> Self {
        Pieces::new(data, (1..data.len()).collect())
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stall && self.pos > 0 && self.stalled_at != Some(self.pos) {
            self.stalled_at = Some(self.pos);
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let next_cut = self
            .cuts
            .iter()
            .copied()
            .find(|&cut| cut > self.pos)
            .unwrap_or(self.data.len());
        let n = buf.len().min(next_cut - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

const MAX: u64 = 1 << 20;

fn decode(input: &[u8]) -> io::Result<Vec<u8>> {
    decode_with_limit(input, MAX)
}

fn decode_with_limit(input: &[u8], max: u64) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    ChunkedReader::new(input, max).read_to_end(&mut body)?;
    Ok(body)
}

/// The error `input` is refused with; panics if it decodes.
fn refused(input: &[u8]) -> io::Error {
    match decode(input) {
        Ok(body) => panic!("{:?} decoded to {:?}", latin1(input), latin1(&body)),
        Err(err) => err,
    }
}

fn assert_invalid(input: &[u8]) {
    let err = refused(input);
    assert_eq!(
        err.kind(),
        io::ErrorKind::InvalidData,
        "{:?}: {err}",
        latin1(input)
    );
}

/// Valid bodies, with what they decode to.
const VALID: [(&[u8], &[u8]); 12] = [
    (b"0\r\n\r\n", b""),
    (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
    (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
    (b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", b"abc"),
    (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
    (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
    (
        b"000000000000000a\r\n0123456789\r\n0000\r\n\r\n",
        b"0123456789",
    ),
    (b"3\r\n\r\n\r\r\n0\r\n\r\n", b"\r\n\r"),
    (b"5;name=value\r\nhello\r\n0;last\r\n\r\n", b"hello"),
    (
        b"5 ; a = b ;c;d=\"q \\\" \\\\ ;x\"\r\nhello\r\n0\r\n\r\n",
        b"hello",
    ),
    (
        b"5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum:\tabc \r\n\r\n",
        b"hello",
    ),
    (b"2\r\n\x00\xff\r\n0\r\nEmpty:\r\n\r\n", b"\x00\xff"),
];

#[test]
fn valid_bodies() {
    for (input, body) in VALID {
        assert_eq!(decode(input).unwrap(), body, "{:?}", latin1(input));
    }
}

/// The same bodies with the input split in two at every byte, then one byte at a
/// time, and read into buffers of 1 byte and of 64.
#[test]
fn valid_bodies_split_anywhere() {
    for (input, body) in VALID {
        let mut splits: Vec<Pieces> = (0..=input.len())
            .map(|cut| Pieces::new(input, vec![cut]))
            .collect();
        splits.push(Pieces::bytewise(input));
        for pieces in splits {
            let cuts = pieces.cuts.clone();
            for (capacity, chunk) in [(1, 1), (3, 64), (8192, 1), (8192, 64)] {
                let pieces = Pieces::new(input, cuts.clone());
                let mut reader =
                    ChunkedReader::new(BufReader::with_capacity(capacity, pieces), MAX);
                let mut decoded = Vec::new();
                let mut buf = vec![0; chunk];
                loop {
                    match reader.read(&mut buf).unwrap() {
                        0 => break,
                        n => decoded.extend_from_slice(&buf[..n]),
                    }
                }
                assert_eq!(decoded, body, "{:?} cut at {cuts:?}", latin1(input));
                assert!(reader.is_done());
            }
        }
    }
}

/// A read timeout at any point is passed on and loses nothing: reading again goes on.
#[test]
fn inner_errors_are_resumable() {
    for (input, body) in VALID {
        let mut pieces = Pieces::bytewise(input);
        pieces.stall = true;
        let mut reader = ChunkedReader::new(BufReader::with_capacity(1, pieces), MAX);
        let mut decoded = Vec::new();
        let mut buf = [0; 4];
        let mut stalls = 0;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => decoded.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => stalls += 1,
                Err(err) => panic!("{:?}: {err}", latin1(input)),
            }
        }
        assert_eq!(decoded, body, "{:?}", latin1(input));
        assert_eq!(stalls, input.len() - 1);
    }
}

/// The bytes after the body (the next request on a keep-alive connection) are left
/// in the inner reader, however the input arrives.
#[test]
fn the_next_request_is_left_unread() {
    let next = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    for (body_input, body) in VALID {
        let input = [body_input, &next[..]].concat();
        for pieces in [Pieces::new(&input, vec![]), Pieces::bytewise(&input)] {
            let mut reader = ChunkedReader::new(BufReader::new(pieces), MAX);
            let mut decoded = Vec::new();
            reader.read_to_end(&mut decoded).unwrap();
            assert_eq!(decoded, body);
            // Reading at the end again reads nothing more.
            assert_eq!(reader.read(&mut [0; 16]).unwrap(), 0);
            let mut rest = Vec::new();
            reader.into_inner().read_to_end(&mut rest).unwrap();
            assert_eq!(rest, next, "after {:?}", latin1(body_input));
        }
    }
}

#[test]
fn bad_chunk_sizes() {
    for input in [
        &b"\r\n"[..],
        b"g\r\n",
        b"x5\r\nhello\r\n0\r\n\r\n",
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"-5\r\nhello\r\n0\r\n\r\n",
        b" 5\r\nhello\r\n0\r\n\r\n",
        b"\t5\r\nhello\r\n0\r\n\r\n",
        b"5 \r\nhello\r\n0\r\n\r\n",
        b"5\t\r\nhello\r\n0\r\n\r\n",
        b"5 5\r\nhello\r\n0\r\n\r\n",
        b"5\r\r\nhello\r\n0\r\n\r\n",
        b"5\x00\r\nhello\r\n0\r\n\r\n",
        b"\xef\xbc\x95\r\nhello\r\n0\r\n\r\n", // a fullwidth 5
        b"00000000000000005\r\nhello\r\n0\r\n\r\n", // 17 digits
        b"10000000000000000\r\n",              // 2^64
        b"ffffffffffffffffff\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn line_endings_are_crlf_only() {
    for input in [
        &b"5\nhello\r\n0\r\n\r\n"[..],
        b"5\r\nhello\n0\r\n\r\n",
        b"5\r\nhello\r0\r\n\r\n",
        b"5\r\nhello\r\n0\n\r\n",
        b"5\r\nhello\r\n0\r\n\n",
        b"5\r\nhello\r\n0\r\nX: y\n\r\n",
    ] {
        assert_invalid(input);
    }
}

/// Data longer than its size: the bytes where CRLF should be are refused, not
/// taken as the next chunk.
#[test]
fn chunk_data_must_end_with_crlf() {
    for input in [
        &b"5\r\nhelloX\r\n0\r\n\r\n"[..],
        b"5\r\nhello world\r\n0\r\n\r\n",
        b"3\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello\r\r\n0\r\n\r\n",
        b"5\r\nhello0\r\n\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn bad_extensions() {
    for input in [
        &b"5;\r\nhello\r\n0\r\n\r\n"[..],
        b"5; \r\nhello\r\n0\r\n\r\n",
        b"5;a \r\nhello\r\n0\r\n\r\n",
        b"5;=x\r\nhello\r\n0\r\n\r\n",
        b"5;a=\r\nhello\r\n0\r\n\r\n",
        b"5;a b\r\nhello\r\n0\r\n\r\n",
        b"5;a=b c\r\nhello\r\n0\r\n\r\n",
        b"5;a=b;\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"open\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"x\"y\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"x\\\x01\"\r\nhello\r\n0\r\n\r\n",
        b"5;a\x01\r\nhello\r\n0\r\n\r\n",
        b"5;a=b\rc\r\nhello\r\n0\r\n\r\n",
        b"5;(a)\r\nhello\r\n0\r\n\r\n",
        b"5g;b\r\nhello\r\n0\r\n\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn extensions_are_bounded() {
    // One line over the line limit.
    let long = format!("5;{}\r\nhello\r\n0\r\n\r\n", "a".repeat(MAX_SIZE_LINE));
    assert_invalid(long.as_bytes());
    // Just under it is fine.
    let ext = "a".repeat(MAX_SIZE_LINE - 5);
    let fits = format!("5;{ext}\r\nhello\r\n0\r\n\r\n");
    assert_eq!(decode(fits.as_bytes()).unwrap(), b"hello");
    // Many lines that each fit, over the limit for the whole body.
    let chunk = format!("1;{}\r\nx\r\n", "e".repeat(3000));
    let many = format!("{}0\r\n\r\n", chunk.repeat(6));
    assert_invalid(many.as_bytes());
    let few = format!("{}0\r\n\r\n", chunk.repeat(5));
    assert_eq!(decode(few.as_bytes()).unwrap(), b"xxxxx");
}

#[test]
fn bad_trailers() {
    for input in [
        &b"0\r\nno colon\r\n\r\n"[..],
        b"0\r\n: no name\r\n\r\n",
        b"0\r\nBad Name: v\r\n\r\n",
        b"0\r\nName : v\r\n\r\n",
        b"0\r\nX: a\r\n folded\r\n\r\n",
        b"0\r\n\tX: a\r\n\r\n",
        b"0\r\nX: a\x00b\r\n\r\n",
        b"0\r\nX: a\rb\r\n\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn trailers_are_bounded() {
    let field = format!("X-Pad: {}\r\n", "p".repeat(1000));
    let fits = format!("0\r\n{}\r\n", field.repeat(MAX_TRAILER_BYTES / field.len()));
    assert_eq!(decode(fits.as_bytes()).unwrap(), b"");
    let over = format!(
        "0\r\n{}\r\n",
        field.repeat(MAX_TRAILER_BYTES / field.len() + 1)
    );
    assert_invalid(over.as_bytes());
    let one_long = format!("0\r\nX: {}\r\n\r\n", "v".repeat(MAX_TRAILER_BYTES));
    assert_invalid(one_long.as_bytes());
    // An endless trailer line is refused without reading it all.
    let endless = io::Read::chain(&b"0\r\nX: "[..], io::repeat(b'v'));
    let mut body = Vec::new();
    let err = ChunkedReader::new(BufReader::new(endless), MAX)
        .read_to_end(&mut body)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn truncated_bodies() {
    for input in [
        &b""[..],
        b"5",
        b"5\r",
        b"5\r\n",
        b"5\r\nhel",
        b"5\r\nhello",
        b"5\r\nhello\r",
        b"5\r\nhello\r\n",
        b"5\r\nhello\r\n0",
        b"5\r\nhello\r\n0\r\n",
        b"5\r\nhello\r\n0\r\nX: y\r\n",
        b"5\r\nhello\r\n0\r\n\r",
    ] {
        let err = refused(input);
        assert_eq!(
            err.kind(),
            io::ErrorKind::UnexpectedEof,
            "{:?}",
            latin1(input)
        );
    }
    let err = decode_with_limit(b"ffffffffffffffff\r\nabc", u64::MAX).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn the_decoded_size_limit() {
    let input = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
    assert_eq!(decode_with_limit(input, 10).unwrap(), b"helloworld");
    let mut reader = ChunkedReader::new(&input[..], 9);
    let mut buf = [0; 64];
    // The first chunk fits and is returned; the second is refused before it is read.
    assert_eq!(reader.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    assert!(err.to_string().contains("larger than 9 bytes"), "{err}");
    assert_eq!(reader.decoded(), 5);
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    // A size that would overflow the running total is over any limit.
    let huge = b"1\r\nx\r\nffffffffffffffff\r\n";
    let err = decode_with_limit(huge, u64::MAX).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    // A limit of zero takes only the empty body.
    assert_eq!(decode_with_limit(b"0\r\n\r\n", 0).unwrap(), b"");
    let err = decode_with_limit(b"1\r\nx\r\n0\r\n\r\n", 0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
}

#[test]
fn errors_are_final() {
    let mut reader = ChunkedReader::new(&b"5\r\nhelloX\r\n0\r\n\r\n"[..], MAX);
    let mut body = Vec::new();
    let err = reader.read_to_end(&mut body).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("not followed by CRLF"), "{err}");
    let err = reader.read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(!reader.is_done());
}

#[test]
fn messages_say_what_is_wrong() {
    let message = |input: &[u8]| refused(input).to_string();
    assert!(message(b"zz\r\n").contains("not a hex number"));
    assert!(message(b"5\nhello").contains("bare LF"));
    assert!(message(b"00000000000000005\r\n").contains("more than 16 hex digits"));
    assert!(message(b"5;a b\r\n").contains("chunk extension"));
    assert!(message(b"0\r\nnope\r\n\r\n").contains("trailer field"));
}

/// A zero-length read buffer reads nothing and changes nothing.
#[test]
fn empty_reads() {
    let mut reader = ChunkedReader::new(&b"3\r\nabc\r\n0\r\n\r\n"[..], MAX);
    assert_eq!(reader.read(&mut []).unwrap(), 0);
    let mut body = Vec::new();
    reader.read_to_end(&mut body).unwrap();
    assert_eq!(body, b"abc");
}

/// Records each call it gets, and takes what `write_vectored` offers.
#[derive(Default)]
struct Recorder {
    calls: Vec<Vec<u8>>,
    flushes: usize,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls.push(buf.to_vec());
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls
            .push(bufs.iter().flat_map(|buf| buf.iter().copied()).collect());
        Ok(bufs.iter().map(|buf| buf.len()).sum())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}

#[test]
fn each_write_is_one_chunk_in_one_call() {
    let mut writer = ChunkedWriter::new(Recorder::default());
    assert_eq!(writer.write(b"hello").unwrap(), 5);
    assert_eq!(writer.write(b"").unwrap(), 0);
    writer.write_all(&[b'x'; 26]).unwrap();
    writer.write_all(&vec![b'y'; 4096]).unwrap();
    let recorder = writer.finish().unwrap();
    let mut big = b"1000\r\n".to_vec();
    big.extend(vec![b'y'; 4096]);
    big.extend(b"\r\n");
    assert_eq!(
        recorder.calls,
        [
            b"5\r\nhello\r\n".to_vec(),
            [&b"1a\r\n"[..], &[b'x'; 26], b"\r\n"].concat(),
            big,
            b"0\r\n\r\n".to_vec(),
        ]
    );
    assert_eq!(recorder.flushes, 1);
}

#[test]
fn vectored_writes_are_one_chunk() {
    let mut writer = ChunkedWriter::new(Recorder::default());
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
    assert_eq!(writer.write_vectored(&bufs).unwrap(), 5);
    assert_eq!(writer.write_vectored(&[IoSlice::new(b"")]).unwrap(), 0);
    assert_eq!(writer.write_vectored(&[]).unwrap(), 0);
    assert_eq!(writer.get_ref().calls, [b"5\r\nabcde\r\n".to_vec()]);
}

#[test]
fn an_empty_body_is_the_last_chunk_only() {
    let out = ChunkedWriter::new(Vec::new()).finish().unwrap();
    assert_eq!(out, b"0\r\n\r\n");
}

/// Takes at most 3 bytes per call, and has no `write_vectored` of its own.
struct Trickle(Vec<u8>);

impl Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(3);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn short_writes_still_frame_correctly() {
    let mut writer = ChunkedWriter::new(Trickle(Vec::new()));
    writer.write_all(b"hello world").unwrap();
    writer.write_all(b"!").unwrap();
    let Trickle(out) = writer.finish().unwrap();
    assert_eq!(out, b"b\r\nhello world\r\n1\r\n!\r\n0\r\n\r\n");
}

/// Fails once its budget of bytes is spent.
struct Failing(usize);

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.0);
        self.0 -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_write_breaks_the_body() {
    let mut writer = ChunkedWriter::new(Failing(4));
    assert!(writer.write(b"hello").is_err());
    // Later writes would land in the middle of the cut chunk: they fail.
    writer.inner.0 = usize::MAX;
    assert_eq!(
        writer.write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
    assert!(writer.finish().is_err());
}

/// Bodies written in random pieces decode to themselves, read back in random
/// pieces, with the next request intact after them.
#[test]
fn round_trips() {
    let mut state: u64 = 0x853c_49e6_748f_ea9b;
    let mut next = move || {
        // xorshift64: reproducible without a dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let len = (next() % 3000) as usize;
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut writer = ChunkedWriter::new(Vec::new());
        let mut at = 0;
        while at < len {
            let n = ((next() % 700) as usize).min(len - at);
            writer.write_all(&body[at..at + n]).unwrap();
            at += n;
        }
        let mut wire = writer.finish().unwrap();
        wire.extend_from_slice(b"NEXT");
        let cuts: Vec<usize> = (0..next() % 20)
            .map(|_| (next() as usize) % (wire.len() + 1))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let pieces = Pieces::new(&wire, cuts);
        let capacity = 1 + (next() % 64) as usize;
        let mut reader = ChunkedReader::new(BufReader::with_capacity(capacity, pieces), MAX);
        let mut decoded = Vec::new();
        reader.read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, body);
        let mut rest = Vec::new();
        reader.into_inner().read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"NEXT");
    }
}
