//! [`ChunkedReader`]: decoding a chunked request body.
//!
//! The decoder is strict, because a body that two parsers frame differently is how
//! requests are smuggled past a proxy: every line must end with CRLF (a bare LF is an
//! error, not a line ending), the chunk size is 1 to 16 hex digits with nothing around
//! it but chunk extensions, and the extensions and trailer fields, which are read and
//! thrown away, must have their RFC syntax and stay within a size bound. It reads the
//! inner reader only as far as the body goes, so on a keep-alive connection the next
//! request is left intact.

use std::io::{self, BufRead, Read};

use crate::http::text;

/// The most hex digits a chunk size may have: 16 are a `u64`.
pub(super) const MAX_SIZE_DIGITS: usize = 16;

/// The longest chunk-size line, extensions and CRLF included.
pub(super) const MAX_SIZE_LINE: usize = 4096;

/// The most chunk-extension bytes in one body, all chunks together: extensions cost the
/// server work but carry no body, so a client could send them forever (hyper bounds
/// them the same way).
pub(super) const MAX_EXTENSION_BYTES: usize = 16 * 1024;

/// The most bytes of trailer fields after the last chunk (their lines together).
pub(super) const MAX_TRAILER_BYTES: usize = 16 * 1024;

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

impl<R> ChunkedReader<R> {
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

    /// The same decoder reading from `inner` instead, and the reader it had: a decoder
    /// kept between reads without a borrow of the connection (`ChunkedReader<()>`)
    /// borrows it for one read.
    pub(crate) fn swap_inner<R2>(self, inner: R2) -> (ChunkedReader<R2>, R) {
        let ChunkedReader {
            inner: old,
            state,
            decoded,
            max_decoded,
            extension_bytes,
            trailer_bytes,
            line,
        } = self;
        let reader = ChunkedReader {
            inner,
            state,
            decoded,
            max_decoded,
            extension_bytes,
            trailer_bytes,
            line,
        };
        (reader, old)
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
}

impl<R: BufRead> ChunkedReader<R> {
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

/// The start of `bytes` as ISO-8859-1, for error messages (every byte is a character).
fn latin1(bytes: &[u8]) -> String {
    text::latin1(&bytes[..bytes.len().min(64)])
}
