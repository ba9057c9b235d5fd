//! Moving the decoder on by one line or one chunk ending: reading a line strictly
//! (CRLF only, within a bound), the chunk-size line, the end of a chunk's data and the
//! trailer section; and failing for good.

use std::io::{self, BufRead};

use super::syntax::{check_extensions, check_field_line, hex_value, latin1};
use super::{
    ChunkedReader, State, MAX_EXTENSION_BYTES, MAX_SIZE_DIGITS, MAX_SIZE_LINE, MAX_TRAILER_BYTES,
};

impl<R: BufRead> ChunkedReader<R> {
    /// Enters the failed state and returns the error that says why.
    pub(super) fn fail(&mut self, kind: io::ErrorKind, message: String) -> io::Error {
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
    pub(super) fn advance(&mut self) -> io::Result<()> {
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
