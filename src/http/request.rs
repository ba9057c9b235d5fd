//! [`HttpRequest`]: one parsed request and the response to it (what Python's
//! `BaseHTTPRequestHandler` keeps on `self`), and [`Body`], the request body bounded by
//! its `Content-Length`.
//!
//! The response half (`send_response`, `send_header`, `end_headers`, `send_error`,
//! `wfile`) lives in `response.rs`.

use std::io::{self, Read, Write};

use super::head::Head;
use super::response::ResponseState;
use super::{Headers, Version};
use crate::{Address, Connection, ServerInfo, StreamRequest};

/// One request on a connection, and the response being written to it.
///
/// A handler reads [`method`](Self::method), [`path`](Self::path),
/// [`version`](Self::version) and [`headers`](Self::headers) (Python's `command`,
/// `path`, `request_version` and `headers`), reads the body through
/// [`body`](Self::body), and answers with [`send_response`](Self::send_response),
/// [`send_header`](Self::send_header), [`end_headers`](Self::end_headers) and
/// [`wfile`](Self::wfile), or with [`send_error`](Self::send_error).
pub struct HttpRequest<'a> {
    pub(crate) stream: &'a mut StreamRequest,
    pub(crate) head: Head,
    pub(crate) body: BodyState,
    pub(crate) response: ResponseState,
    pub(crate) server_version: &'static str,
}

/// Unread body bytes skipped to reach the next request; with more, the connection closes.
const MAX_SKIPPED_BODY: u64 = 64 * 1024;

/// What is left of the request body.
#[derive(Debug)]
pub(crate) struct BodyState {
    /// Bytes of the body not yet read.
    pub(crate) remaining: u64,
    /// The client sent `Expect: 100-continue` and waits for `100 Continue` before
    /// sending the body; it is sent on the first read.
    pub(crate) continue_pending: bool,
}

impl<'a> HttpRequest<'a> {
    pub(crate) fn new(
        stream: &'a mut StreamRequest,
        head: Head,
        body: BodyState,
        server_version: &'static str,
    ) -> Self {
        let response = ResponseState::new(&head);
        HttpRequest {
            stream,
            head,
            body,
            response,
            server_version,
        }
    }

    /// The method, as sent: `"GET"`, `"POST"`, ... (Python's `command`).
    pub fn method(&self) -> &str {
        &self.head.method
    }

    /// The request target as sent, not decoded: `"/stream.mjpg"`, `"/search?q=x"`
    /// (Python's `path`; a leading `//` is collapsed to `/`, as Python does).
    pub fn path(&self) -> &str {
        &self.head.path
    }

    /// The request's HTTP version (Python's `request_version`).
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The request line, without its line ending (Python's `requestline`).
    pub fn requestline(&self) -> &str {
        &self.head.requestline
    }

    /// The header fields (Python's `headers`).
    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    /// The first value of header `name`, in any case (`headers().get(name)`).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.headers.get(name)
    }

    /// Who sent the request (Python's `client_address`).
    pub fn client_address(&self) -> &Address {
        &self.stream.client_address
    }

    /// The server the request came to: its address and a shutdown handle.
    pub fn server(&self) -> &ServerInfo {
        self.stream.server()
    }

    /// The connected socket, for timeouts and socket options.
    pub fn connection(&self) -> &Connection {
        self.stream.connection()
    }

    /// The request body: reads at most `Content-Length` bytes, then end-of-file. A
    /// client that closes before sending all of it makes a read fail with
    /// `UnexpectedEof`. Bodies over [`Limits::max_body`](super::Limits::max_body) were
    /// refused with `413` before the handler ran.
    ///
    /// Unlike Python's `rfile`, it cannot read past the body into the next request;
    /// what a handler leaves unread is skipped before the next request (or the
    /// connection is closed when that is too much).
    pub fn body(&mut self) -> Body<'_> {
        Body {
            stream: self.stream,
            state: &mut self.body,
            response_started: self.response.started(),
        }
    }

    /// Reads the whole body (at most [`Limits::max_body`](super::Limits::max_body)
    /// bytes).
    pub fn read_body(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        self.body().read_to_end(&mut body)?;
        Ok(body)
    }

    /// The declared body length that is still unread.
    pub fn body_remaining(&self) -> u64 {
        self.body.remaining
    }

    /// Whether the unread body stops the connection from carrying another request: too
    /// much of it to skip, or a client that waits for `100 Continue` and has not sent it.
    pub(crate) fn unread_body_ends_connection(&self) -> bool {
        let remaining = self.body.remaining;
        remaining > MAX_SKIPPED_BODY || (self.body.continue_pending && remaining > 0)
    }

    /// Reads past what the handler left of the body so that the next request can be
    /// read; `false` when the connection should close instead.
    pub(crate) fn skip_unread_body(&mut self) -> io::Result<bool> {
        if self.body.remaining == 0 {
            return Ok(true);
        }
        if self.unread_body_ends_connection() {
            return Ok(false);
        }
        io::copy(&mut self.body(), &mut io::sink())?;
        Ok(true)
    }

    /// Whether this is a `HEAD` request: the body of the response is not sent.
    pub fn is_head(&self) -> bool {
        self.head.method == "HEAD"
    }
}

impl std::fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("client_address", &self.stream.client_address)
            .field("requestline", &self.head.requestline)
            .field("headers", &self.head.headers)
            .field("body_remaining", &self.body.remaining)
            .finish_non_exhaustive()
    }
}

/// A request body: reads up to its `Content-Length`, then end-of-file. Get it from
/// [`HttpRequest::body`].
pub struct Body<'r> {
    stream: &'r mut StreamRequest,
    state: &'r mut BodyState,
    response_started: bool,
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.state.continue_pending {
            self.state.continue_pending = false;
            // Once a final response has begun, the client must not be told to go on.
            if !self.response_started {
                self.stream
                    .wfile
                    .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                self.stream.wfile.flush()?;
            }
        }
        let want = usize::try_from(self.state.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.stream.rfile.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the client closed with {} bytes of the body unsent",
                    self.state.remaining
                ),
            ));
        }
        self.state.remaining -= n as u64;
        Ok(n)
    }
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("remaining", &self.state.remaining)
            .finish_non_exhaustive()
    }
}
