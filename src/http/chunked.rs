//! HTTP/1.1's chunked transfer coding (RFC 9112 §7.1): [`ChunkedReader`] decodes a
//! request body sent with `Transfer-Encoding: chunked`, [`ChunkedWriter`] encodes a
//! response body whose length is not known when its head is sent.
//!
//! The decoder is strict, because a body that two parsers frame differently is how
//! requests are smuggled past a proxy: every line must end with CRLF (a bare LF is an
//! error, not a line ending), the chunk size is 1 to 16 hex digits with nothing around
//! it but chunk extensions, and the extensions and trailer fields, which are read and
//! thrown away, must have their RFC syntax and stay within a size bound. It reads the
//! inner reader only as far as the body goes, so on a keep-alive connection the next
//! request is left intact.
#![cfg_attr(not(test), allow(dead_code))] // The HTTP handler that uses this comes next.

use std::io::{self, BufRead, IoSlice, Read, Write};

/// The most hex digits a chunk size may have: 16 are a `u64`.
const MAX_SIZE_DIGITS: usize = 16;

/// The longest chunk-size line, extensions and CRLF included.
const MAX_SIZE_LINE: usize = 4096;

/// The most chunk-extension bytes in one body, all chunks together: extensions cost the
/// server work but carry no body, so a client could send them forever (hyper bounds
/// them the same way).
const MAX_EXTENSION_BYTES: usize = 16 * 1024;

/// The most bytes of trailer fields after the last chunk (their lines together).
const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// A chunked body, decoded: reading gives the body's bytes, and `Ok(0)` once the last
/// chunk and the trailer section have been read.
///
/// Errors, after which the connection can only be closed (reading again returns an
/// error of the same kind):
/// - `InvalidData`: the body is malformed (the message says how); answer `400`.
/// - `FileTooLarge`: the decoded body would be larger than `max_decoded`; answer `413`.
///   It is returned before any byte of the chunk that crosses the limit is read.
/// - `UnexpectedEof`: the stream ended inside the body.
///
/// Errors of the inner reader (a read timeout, say) are passed on and leave the decoder
/// where it was, so reading again goes on.
#[derive(Debug)]
pub(crate) struct ChunkedReader<R> {
    inner: R,
    state: State,
    /// Body bytes announced by the chunk sizes so far.
    decoded: u64,
    max_decoded: u64,
    extension_bytes: usize,
    trailer_bytes: usize,
    /// The line (or chunk-ending CRLF) being read; kept across calls so that an error of
    /// the inner reader in the middle of a line loses nothing.
    line: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a chunk-size line.
    Size,
    /// Inside a chunk's data.
    Data { remaining: u64 },
    /// At the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer field lines until an empty line.
    Trailers,
    /// The whole body has been read.
    Done,
    /// A malformation (or the limit) was met; nothing more is read.
    Failed(io::ErrorKind),
}

impl<R: BufRead> ChunkedReader<R> {
    /// Decodes the chunked body at the start of `inner`, allowing at most `max_decoded`
    /// bytes of body.
    pub(crate) fn new(inner: R, max_decoded: u64) -> Self {
        ChunkedReader {
            inner,
            state: State::Size,
            decoded: 0,
            max_decoded,
            extension_bytes: 0,
            trailer_bytes: 0,
            line: Vec::new(),
        }
    }

    /// Whether the whole body, trailers included, has been read: then the inner reader
    /// is at the first byte after it.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The body bytes announced by the chunks so far (read or about to be).
    pub(crate) fn decoded(&self) -> u64 {
        self.decoded
    }

    /// The inner reader, at the first byte after the body when [`is_done`](Self::is_done).
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// Enters the failed state and returns the error that says why.
    fn fail(&mut self, kind: io::ErrorKind, message: String) -> io::Error {
        self.state = State::Failed(kind);
        self.line.clear();
        io::Error::new(kind, format!("chunked body: {message}"))
    }

    fn invalid(&mut self, message: impl Into<String>) -> io::Error {
        self.fail(io::ErrorKind::InvalidData, message.into())
    }

    /// Reads into `self.line` through the next LF, taking at most `limit` bytes in all;
    /// `what` names the line in errors. Never consumes a byte past the LF.
    fn read_line(&mut self, limit: usize, what: &str) -> io::Result<()> {
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                let message = format!("the stream ended inside a {what}");
                return Err(self.fail(io::ErrorKind::UnexpectedEof, message));
            }
            let (take, complete) = match memchr::memchr(b'\n', available) {
                Some(lf) => (lf + 1, true),
                None => (available.len(), false),
            };
            if self.line.len() + take > limit {
                return Err(self.invalid(format!("{what} longer than {limit} bytes")));
            }
            self.line.extend_from_slice(&available[..take]);
            self.inner.consume(take);
            if complete {
                if !self.line.ends_with(b"\r\n") {
                    return Err(self.invalid(format!("{what} ends with a bare LF, not CRLF")));
                }
                self.line.truncate(self.line.len() - 2);
                return Ok(());
            }
        }
    }

    /// Parses the chunk-size line in `self.line` (CRLF removed): the size, then
    /// extensions, which are checked and dropped.
    fn parse_size_line(&mut self) -> io::Result<u64> {
        let line = &self.line;
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 {
            let message = format!("chunk size {:?} is not a hex number", latin1(line));
            return Err(self.invalid(message));
        }
        if digits > MAX_SIZE_DIGITS {
            let message = format!("chunk size has more than {MAX_SIZE_DIGITS} hex digits");
            return Err(self.invalid(message));
        }
        // At most 16 hex digits: fits in a u64, no overflow.
        let size = line[..digits]
            .iter()
            .fold(0u64, |size, &digit| (size << 4) | hex_value(digit));
        let extensions = &line[digits..];
        if let Err(message) = check_extensions(extensions) {
            let message = format!("{message} in chunk extension {:?}", latin1(extensions));
            return Err(self.invalid(message));
        }
        self.extension_bytes += extensions.len();
        if self.extension_bytes > MAX_EXTENSION_BYTES {
            let message = format!("chunk extensions larger than {MAX_EXTENSION_BYTES} bytes");
            return Err(self.invalid(message));
        }
        Ok(size)
    }

    /// Moves the state on by one line or one chunk ending; `Ok` means "look again".
    fn advance(&mut self) -> io::Result<()> {
        match self.state {
            State::Size => {
                self.read_line(MAX_SIZE_LINE, "chunk-size line")?;
                let size = self.parse_size_line()?;
                self.line.clear();
                if size == 0 {
                    self.state = State::Trailers;
                    return Ok(());
                }
                match self.decoded.checked_add(size) {
                    Some(total) if total <= self.max_decoded => {
                        self.decoded = total;
                        self.state = State::Data { remaining: size };
                        Ok(())
                    }
                    _ => {
                        let message = format!("larger than {} bytes", self.max_decoded);
                        Err(self.fail(io::ErrorKind::FileTooLarge, message))
                    }
                }
            }
            State::DataEnd => {
                // Exactly two bytes, so a missing CRLF never swallows the next chunk.
                while self.line.len() < 2 {
                    let available = match self.inner.fill_buf() {
                        Ok(available) => available,
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                        Err(err) => return Err(err),
                    };
                    let Some(&byte) = available.first() else {
                        let message = "the stream ended after a chunk's data".to_owned();
                        return Err(self.fail(io::ErrorKind::UnexpectedEof, message));
                    };
                    self.inner.consume(1);
                    self.line.push(byte);
                }
                if self.line != b"\r\n" {
                    let message = format!(
                        "chunk data not followed by CRLF (found {:?})",
                        latin1(&self.line)
                    );
                    return Err(self.invalid(message));
                }
                self.line.clear();
                self.state = State::Size;
                Ok(())
            }
            State::Trailers => {
                // The empty line that ends the section always fits.
                let limit = MAX_TRAILER_BYTES - self.trailer_bytes + 2;
                self.read_line(limit, "trailer section")?;
                if self.line.is_empty() {
                    self.state = State::Done;
                    return Ok(());
                }
                if let Err(message) = check_field_line(&self.line) {
                    let message = format!("{message} in trailer field {:?}", latin1(&self.line));
                    return Err(self.invalid(message));
                }
                self.trailer_bytes += self.line.len() + 2;
                if self.trailer_bytes > MAX_TRAILER_BYTES {
                    let message = format!("trailer section larger than {MAX_TRAILER_BYTES} bytes");
                    return Err(self.invalid(message));
                }
                self.line.clear();
                Ok(())
            }
            State::Data { .. } | State::Done | State::Failed(_) => Ok(()),
        }
    }
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Data { remaining } => {
                    // Never more than the chunk holds: the bytes after it are framing.
                    let want = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
                    let n = self.inner.read(&mut buf[..want])?;
                    if n == 0 {
                        let message = "the stream ended inside a chunk's data".to_owned();
                        return Err(self.fail(io::ErrorKind::UnexpectedEof, message));
                    }
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd
                    } else {
                        State::Data { remaining }
                    };
                    return Ok(n);
                }
                State::Done => return Ok(0),
                State::Failed(kind) => {
                    return Err(io::Error::new(
                        kind,
                        "chunked body: not readable after an earlier error",
                    ));
                }
                State::Size | State::DataEnd | State::Trailers => self.advance()?,
            }
        }
    }
}

fn hex_value(digit: u8) -> u64 {
    u64::from(match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    })
}

/// RFC 9110 §5.6.2 `tchar`: the characters of a token.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn skip_token(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&b| is_tchar(b)) {
        i += 1;
    }
    i
}

/// Checks `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`, RFC 9112
/// §7.1.1: so whitespace is allowed before a `;` and around `=`, and nowhere else.
fn check_extensions(ext: &[u8]) -> Result<(), &'static str> {
    let mut i = 0;
    while i < ext.len() {
        i = skip_whitespace(ext, i);
        if ext.get(i) != Some(&b';') {
            return Err("expected ';'");
        }
        i = skip_whitespace(ext, i + 1);
        let name_end = skip_token(ext, i);
        if name_end == i {
            return Err("empty or invalid name");
        }
        i = name_end;
        let equals = skip_whitespace(ext, i);
        if ext.get(equals) == Some(&b'=') {
            let value = skip_whitespace(ext, equals + 1);
            i = if ext.get(value) == Some(&b'"') {
                quoted_string_end(ext, value)?
            } else {
                let value_end = skip_token(ext, value);
                if value_end == value {
                    return Err("empty or invalid value");
                }
                value_end
            };
        }
    }
    Ok(())
}

/// The index just past the quoted-string that starts at `start` (at its `"`).
fn quoted_string_end(bytes: &[u8], start: usize) -> Result<usize, &'static str> {
    let text = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut i = start + 1;
    loop {
        match bytes.get(i) {
            None => return Err("unterminated quoted string"),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match bytes.get(i + 1) {
                Some(&escaped) if text(escaped) => i += 2,
                _ => return Err("invalid escape in quoted string"),
            },
            Some(&b) if text(b) => i += 1,
            Some(_) => return Err("control character in quoted string"),
        }
    }
}

/// Checks `field-name ":" OWS field-value OWS` (RFC 9112 §5): a token, a colon, then no
/// control characters but tabs. A line starting with whitespace (obsolete folding) has
/// no name and is refused.
fn check_field_line(line: &[u8]) -> Result<(), &'static str> {
    let name_end = skip_token(line, 0);
    if name_end == 0 {
        return Err("empty or invalid name");
    }
    if line.get(name_end) != Some(&b':') {
        return Err("expected ':' after the name");
    }
    if line[name_end + 1..]
        .iter()
        .any(|&b| b != b'\t' && (b < 0x20 || b == 0x7f))
    {
        return Err("control character");
    }
    Ok(())
}

/// Bytes as ISO-8859-1, for error messages (every byte is a character).
fn latin1(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(64)];
    shown.iter().map(|&b| char::from(b)).collect()
}

/// Writes a body with the chunked coding: each `write` is one chunk (`SIZE\r\n`, the
/// bytes, `\r\n`, handed to the inner writer as one vectored write, so a socket sends it
/// in one piece), an empty write sends nothing, and [`finish`](Self::finish) sends the
/// last chunk `0\r\n\r\n`.
///
/// Dropped without `finish`, the body has no last chunk: the client sees it was cut
/// short, which is right when a handler gives up halfway. After an error of the inner
/// writer the chunk boundaries are lost, so every later write fails too.
#[derive(Debug)]
pub(crate) struct ChunkedWriter<W: Write> {
    inner: W,
    broken: bool,
}

impl<W: Write> ChunkedWriter<W> {
    /// Encodes what is written into `inner`.
    pub(crate) fn new(inner: W) -> Self {
        ChunkedWriter {
            inner,
            broken: false,
        }
    }

    /// Writes the last chunk (no trailers), flushes, and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.check_broken()?;
        self.inner.write_all(b"0\r\n\r\n")?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// The inner writer.
    pub(crate) fn get_ref(&self) -> &W {
        &self.inner
    }

    fn check_broken(&self) -> io::Result<()> {
        if self.broken {
            Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "chunked body: an earlier write failed",
            ))
        } else {
            Ok(())
        }
    }

    /// Writes one chunk holding all of `data` (`len` bytes, not zero).
    fn write_chunk(&mut self, data: &[IoSlice<'_>], len: usize) -> io::Result<()> {
        self.check_broken()?;
        // 16 hex digits and CRLF: the longest size line a 64-bit length needs.
        let mut header = [0u8; 18];
        let header_len = {
            let mut cursor = &mut header[..];
            write!(cursor, "{len:x}\r\n")?;
            18 - cursor.len()
        };
        let mut slices = Vec::with_capacity(data.len() + 2);
        slices.push(IoSlice::new(&header[..header_len]));
        slices.extend(data.iter().map(|slice| IoSlice::new(slice)));
        slices.push(IoSlice::new(b"\r\n"));
        let written = write_all_vectored(&mut self.inner, &mut slices);
        if written.is_err() {
            self.broken = true;
        }
        written
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            // An empty chunk would be the last chunk: it must come from `finish` only.
            return Ok(0);
        }
        self.write_chunk(&[IoSlice::new(buf)], buf.len())?;
        Ok(buf.len())
    }

    /// All the buffers become one chunk.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        if len == 0 {
            return Ok(0);
        }
        self.write_chunk(bufs, len)?;
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `Write::write_all` for several buffers (the same as the one in `multipart.rs`): one
/// call to the inner writer in the usual case, more after short writes.
fn write_all_vectored(w: &mut impl Write, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
