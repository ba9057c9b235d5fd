//! [`ChunkedReader`]: decoding a chunked request body.
//!
//! The decoder is strict, because a body that two parsers frame differently is how
//! requests are smuggled past a proxy: every line must end with CRLF (a bare LF is an
//! error, not a line ending), the chunk size is 1 to 16 hex digits with nothing around
//! it but chunk extensions, and the extensions and trailer fields, which are read and
//! thrown away, must have their RFC syntax and stay within a size bound. It reads the
//! inner reader only as far as the body goes, so on a keep-alive connection the next
//! request is left intact.
//!
//! This file holds the decoder and its states; `advance` moves it through the framing
//! (size lines, chunk endings, trailers) and `syntax` checks the grammar of what it reads.

use std::io::{self, BufRead, Read};

mod advance;
mod syntax;

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
