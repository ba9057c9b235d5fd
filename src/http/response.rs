//! The response to one request as a state machine: idle, collecting header lines, then
//! the body; and [`BodyWriter`], which writes the body within what the head declared.
//!
//! Header lines are collected and handed to `wfile` in one piece by `end_headers`; the
//! body follows in the same buffer, so a small response goes out in one send. The state
//! also keeps the connection's framing right, which Python leaves to the handler: a
//! response without `Content-Length` to an HTTP/1.1 client is sent chunked
//! (`Transfer-Encoding: chunked`, the last chunk written when the handler returns), and
//! to an HTTP/1.0 client, or after the handler sent `Connection: close` itself, it is
//! close-delimited (and says `Connection: close`); either way a client never waits for
//! a body that has no end.

use std::io::{self, IoSlice, Write};

use super::chunked::ChunkedWriter;
use super::exchange::FileSink;
use super::head::Head;
use super::status::has_no_body;
use super::text::{check_field_name, check_field_value, misuse, push_field, status_head};
use super::Version;

/// Where a response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing sent or buffered yet.
    Idle,
    /// `send_response` was called; header lines are being collected.
    Headers,
    /// `end_headers` wrote the head; the body follows.
    Body,
}

/// The response to one request.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) phase: Phase,
    buffer: Vec<u8>,
    pub(crate) status: u16,
    content_length: Option<u64>,
    connection_header: bool,
    /// The handler sent `Connection: close` itself: a body without a length is then
    /// close-delimited, never chunked (MJPEG clients cannot all read chunks).
    close_sent: bool,
    /// The handler sent its own `Transfer-Encoding`: the layer does not add one.
    transfer_encoding_sent: bool,
    /// The body goes out in chunks (`Transfer-Encoding: chunked` was added).
    pub(crate) chunked: bool,
    /// The last chunk was written.
    chunked_done: bool,
    /// Python's `close_connection`: end the connection after this response.
    pub(crate) close: bool,
    pub(crate) body_written: u64,
    /// HEAD, or a status that has no body: writes are counted, not sent.
    discard_body: bool,
    head_request: bool,
    request_version: Version,
}

/// The bytes a response head is given room for up front.
const HEAD_CAPACITY: usize = 256;

impl Response {
    pub(crate) fn new(head: &Head) -> Self {
        let keep_alive = match head.version {
            Version::Http10 => head.headers.has_token("Connection", "keep-alive"),
            Version::Http11 => !head.headers.has_token("Connection", "close"),
        };
        Response {
            phase: Phase::Idle,
            // Room for a typical head (status line, Server, Date, a few more): one
            // allocation instead of one per doubling as it is written.
            buffer: Vec::with_capacity(HEAD_CAPACITY),
            status: 0,
            content_length: None,
            connection_header: false,
            close_sent: false,
            transfer_encoding_sent: false,
            chunked: false,
            chunked_done: false,
            close: !keep_alive,
            body_written: 0,
            discard_body: false,
            head_request: head.method == "HEAD",
            request_version: head.version,
        }
    }

    pub(crate) fn started(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// Whether the head was written and the body is whole: the next request on this
    /// connection can be read.
    pub(crate) fn framing_intact(&self) -> bool {
        match self.content_length {
            _ if self.discard_body => true,
            _ if self.chunked => self.chunked_done,
            Some(length) => self.body_written == length,
            None => false,
        }
    }

    /// The declared length, if the head had one.
    pub(crate) fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Starts the head with a status line and the `Server` and `Date` headers.
    pub(crate) fn start(
        &mut self,
        code: u16,
        reason: &str,
        server_version: &str,
    ) -> io::Result<()> {
        if self.phase == Phase::Body {
            return Err(misuse(
                "send_response after end_headers: the response was sent",
            ));
        }
        check_field_value(reason)?;
        self.phase = Phase::Headers;
        self.status = code;
        self.buffer.clear();
        self.content_length = None;
        self.connection_header = false;
        self.close_sent = false;
        self.transfer_encoding_sent = false;
        self.chunked = false;
        self.discard_body = self.head_request || has_no_body(code);
        status_head(&mut self.buffer, code, reason, server_version);
        Ok(())
    }

    /// Adds a header line; notes `Content-Length` and `Connection: close`.
    pub(crate) fn header(&mut self, name: &str, value: &str) -> io::Result<()> {
        if self.phase != Phase::Headers {
            return Err(misuse("send_header outside send_response .. end_headers"));
        }
        check_field_name(name)?;
        check_field_value(value)?;
        if name.eq_ignore_ascii_case("Content-Length") {
            let length = value.trim().parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Content-Length is not a number",
                )
            })?;
            self.content_length = Some(length);
        } else if name.eq_ignore_ascii_case("Connection") {
            self.connection_header = true;
            if value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"))
            {
                self.close = true;
                self.close_sent = true;
            }
        } else if name.eq_ignore_ascii_case("Transfer-Encoding") {
            self.transfer_encoding_sent = true;
        }
        push_field(&mut self.buffer, name, value);
        Ok(())
    }

    /// Ends the head and hands it to `wfile` (it is sent with the body, or when the
    /// handler next reads or returns). `unread_body_ends_connection`: the handler left
    /// more of the request body than can be skipped, so the connection must close.
    pub(crate) fn end_headers(
        &mut self,
        wfile: &mut dyn FileSink,
        unread_body_ends_connection: bool,
    ) -> io::Result<()> {
        if self.phase != Phase::Headers {
            return Err(misuse("end_headers without send_response"));
        }
        let interim = (100..200).contains(&self.status);
        let unframed = self.content_length.is_none() && !self.discard_body && !interim;
        if unframed
            && self.request_version == Version::Http11
            && !self.close_sent
            && !self.transfer_encoding_sent
        {
            push_field(&mut self.buffer, "Transfer-Encoding", "chunked");
            self.chunked = true;
            self.chunked_done = false;
        } else if unframed {
            self.close = true;
        }
        if unread_body_ends_connection {
            self.close = true;
        }
        if !self.connection_header {
            if self.close {
                push_field(&mut self.buffer, "Connection", "close");
            } else if self.request_version == Version::Http10 {
                push_field(&mut self.buffer, "Connection", "keep-alive");
            }
        }
        self.buffer.extend_from_slice(b"\r\n");
        self.phase = if interim { Phase::Idle } else { Phase::Body };
        let mut sent = wfile.write_all(&self.buffer);
        if interim {
            // The client waits for it before it goes on.
            sent = sent.and_then(|()| wfile.flush());
        }
        self.buffer.clear();
        if sent.is_err() {
            self.close = true;
        }
        sent
    }

    /// Writes the last chunk of a chunked body (once; nothing for other bodies).
    pub(crate) fn finish_chunked(&mut self, wfile: &mut dyn FileSink) -> io::Result<()> {
        if self.phase == Phase::Body && self.chunked && !self.chunked_done {
            self.chunked_done = true;
            wfile.write_all(b"0\r\n\r\n")?;
        }
        Ok(())
    }

    /// Writes `len` bytes of `file`, from its current position, as (part of) the body:
    /// by `sendfile` on a plain socket (see `Stream::send_file`).
    pub(crate) fn send_file(
        &mut self,
        wfile: &mut dyn FileSink,
        file: &std::fs::File,
        len: u64,
    ) -> io::Result<()> {
        let writer = self.body(wfile);
        writer.check(usize::try_from(len).unwrap_or(usize::MAX))?;
        if writer.state.discard_body || len == 0 {
            writer.state.body_written += len;
            return Ok(());
        }
        let sent = if writer.state.chunked {
            write!(writer.wfile, "{len:x}\r\n")
                .and_then(|()| writer.wfile.send_file(file, len))
                .and_then(|()| writer.wfile.write_all(b"\r\n"))
        } else {
            writer.wfile.send_file(file, len)
        };
        match sent {
            Ok(()) => {
                writer.state.body_written += len;
                Ok(())
            }
            Err(err) => {
                // How much went out is unknown: the framing is lost.
                writer.state.close = true;
                Err(err)
            }
        }
    }

    /// A writer for the body.
    pub(crate) fn body<'r>(&'r mut self, wfile: &'r mut dyn FileSink) -> BodyWriter<'r> {
        BodyWriter { wfile, state: self }
    }
}

/// Writes the body of a response: [`HttpRequest::wfile`](super::HttpRequest::wfile).
pub struct BodyWriter<'r> {
    wfile: &'r mut dyn FileSink,
    state: &'r mut Response,
}

impl BodyWriter<'_> {
    /// How many more bytes the declared `Content-Length` allows; `None` without one.
    fn room(&self) -> Option<u64> {
        self.state
            .content_length
            .map(|length| length.saturating_sub(self.state.body_written))
    }

    fn check(&self, len: usize) -> io::Result<()> {
        if self.state.phase != Phase::Body {
            return Err(misuse("write the body after end_headers"));
        }
        if self.state.chunked_done {
            return Err(misuse("write after the last chunk of the body"));
        }
        if self.room().is_some_and(|room| len as u64 > room) {
            return Err(misuse("body longer than the Content-Length sent"));
        }
        Ok(())
    }
}

impl Write for BodyWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check(buf.len())?;
        let n = if self.state.discard_body {
            buf.len()
        } else if self.state.chunked {
            ChunkedWriter::new(&mut *self.wfile).write(buf)?
        } else {
            self.wfile.write(buf)?
        };
        self.state.body_written += n as u64;
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        self.check(total)?;
        let n = if self.state.discard_body {
            total
        } else if self.state.chunked {
            ChunkedWriter::new(&mut *self.wfile).write_vectored(bufs)?
        } else {
            self.wfile.write_vectored(bufs)?
        };
        self.state.body_written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.wfile.flush()
    }
}

impl std::fmt::Debug for BodyWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyWriter")
            .field("body_written", &self.state.body_written)
            .field("content_length", &self.state.content_length)
            .finish_non_exhaustive()
    }
}
