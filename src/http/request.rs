//! [`HttpRequest`]: one parsed request and the response to it (what Python's
//! `BaseHTTPRequestHandler` keeps on `self`): the request's line, headers and body, and
//! `send_response`, `send_header`, `end_headers`, `send_error` and `wfile`.

use std::fmt::Display;
use std::io::{self, Read, Write};

use super::body::{Body, BodyState};
use super::errors::{error_page, has_page, ERROR_CONTENT_TYPE};
use super::exchange::Exchange;
use super::head::Head;
use super::log::{log_error, log_request};
use super::response::{BodyWriter, Phase, Response};
use super::status::status_phrase;
use super::text::misuse;
use super::{Headers, Version};
use crate::{Address, Connection, ServerInfo};

/// One request on a connection, and the response being written to it.
///
/// A handler reads [`method`](Self::method), [`path`](Self::path),
/// [`version`](Self::version) and [`headers`](Self::headers) (Python's `command`,
/// `path`, `request_version` and `headers`), reads the body through
/// [`body`](Self::body), and answers with [`send_response`](Self::send_response),
/// [`send_header`](Self::send_header), [`end_headers`](Self::end_headers) and
/// [`wfile`](Self::wfile), or with [`send_error`](Self::send_error).
pub struct HttpRequest<'a> {
    stream: &'a mut dyn Exchange,
    head: Head,
    body: BodyState,
    response: Response,
    server_version: &'a str,
}

impl<'a> HttpRequest<'a> {
    pub(crate) fn new(
        stream: &'a mut dyn Exchange,
        head: Head,
        body: BodyState,
        server_version: &'a str,
    ) -> Self {
        let response = Response::new(&head);
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
        self.stream.client_address()
    }

    /// The server the request came to: its address and a shutdown handle.
    pub fn server(&self) -> &ServerInfo {
        self.stream.server()
    }

    /// The connected socket, for timeouts and socket options; `None` on the event loop
    /// ([`HttpEvents`](super::HttpEvents)), which owns its sockets.
    pub fn connection(&self) -> Option<&Connection> {
        self.stream.connection()
    }

    /// Whether this is a `HEAD` request: the body of the response is not sent.
    pub fn is_head(&self) -> bool {
        self.head.method == "HEAD"
    }

    /// The request body: reads at most `Content-Length` bytes, or decodes a
    /// `Transfer-Encoding: chunked` body, then end-of-file. A client that closes before
    /// sending all of it makes a read fail with `UnexpectedEof`. Bodies whose
    /// `Content-Length` is over [`Limits::max_body`](super::Limits::max_body) were
    /// refused with `413` before the handler ran; a chunked body that decodes to more
    /// fails the read (`FileTooLarge`), and one that is malformed fails it with
    /// `InvalidData`: return that error and the client gets `413` or `400`.
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

    /// The declared body length that is still unread (0 for a chunked body, whose
    /// length is not declared).
    pub fn body_remaining(&self) -> u64 {
        self.body.remaining
    }

    /// Whether the request body is chunked (`Transfer-Encoding: chunked`).
    pub fn body_is_chunked(&self) -> bool {
        self.body.chunked.is_some()
    }

    /// Whether part of the body is still unread.
    pub(crate) fn body_unread(&self) -> bool {
        self.body.unread()
    }

    /// Whether reading the body failed because the client sent a malformed or oversized
    /// chunked body.
    pub(crate) fn body_refused(&self) -> bool {
        self.body.refusal.is_some()
    }

    /// Starts the response with a status line and the `Server` and `Date` headers
    /// (Python's `send_response`). The reason phrase is the standard one for `code`.
    ///
    /// Fails with `InvalidInput` once the headers were sent.
    pub fn send_response(&mut self, code: u16) -> io::Result<()> {
        self.send_response_with_reason(code, status_phrase(code))
    }

    /// [`send_response`](Self::send_response) with a reason phrase of your own
    /// (Python's `send_response(code, message)`).
    pub fn send_response_with_reason(&mut self, code: u16, reason: &str) -> io::Result<()> {
        self.response.start(code, reason, self.server_version)
    }

    /// Adds a header line (Python's `send_header`); `value` is anything `Display`, so
    /// `send_header("Content-Length", body.len())` works.
    ///
    /// `Connection: close` ends the connection after this response, and
    /// `Content-Length` is what lets it stay open. A name or value with a line break is
    /// refused (`InvalidInput`), which Python does not check.
    pub fn send_header(&mut self, name: &str, value: impl Display) -> io::Result<()> {
        self.response.header(name, &value.to_string())
    }

    /// Ends the header lines (Python's `end_headers`); the body follows through
    /// [`wfile`](Self::wfile), in the same send when it is small.
    ///
    /// A response without `Content-Length` to an HTTP/1.1 client gets
    /// `Transfer-Encoding: chunked`: each write to [`wfile`](Self::wfile) is a chunk and
    /// the last one is sent when the handler returns, so the connection stays open. To
    /// an HTTP/1.0 client, or when the handler sent `Connection: close` (or its own
    /// `Transfer-Encoding`), the body is close-delimited.
    ///
    /// Adds `Connection: close` when the connection must close after this response
    /// (the request asked for it, the body has no length and is not chunked, or the
    /// handler left too much of the request body unread to skip it), and
    /// `Connection: keep-alive` when an HTTP/1.0 client asked to keep it open.
    pub fn end_headers(&mut self) -> io::Result<()> {
        let ends = self.body.ends_connection();
        self.response.end_headers(self.stream.wfile(), ends)
    }

    /// Sends a complete error response (Python's `send_error`): the status line, a
    /// small HTML page that explains the code and shows `message` (HTML-escaped), and
    /// `Connection: close`. No page for `HEAD`, `1xx`, `204`, `205` and `304`.
    ///
    /// Header lines collected since `send_response` are dropped; once `end_headers`
    /// has run it is too late and this fails with `InvalidInput`. The response is
    /// complete when it returns: the lecture's `send_error(404)` followed by
    /// `end_headers()` would be an error here.
    pub fn send_error(&mut self, code: u16, message: Option<&str>) -> io::Result<()> {
        if self.response.phase == Phase::Body {
            return Err(misuse(
                "send_error after end_headers: the response was sent",
            ));
        }
        let message = message.unwrap_or_else(|| status_phrase(code));
        log_error(self.stream.client_address(), code, message);
        self.response.close = true;
        self.send_response(code)?;
        self.send_header("Connection", "close")?;
        let page = has_page(code).then(|| error_page(code, message));
        if let Some(page) = &page {
            self.send_header("Content-Type", ERROR_CONTENT_TYPE)?;
            self.send_header("Content-Length", page.len())?;
        }
        self.end_headers()?;
        if let Some(page) = page {
            self.wfile().write_all(page.as_bytes())?;
        }
        Ok(())
    }

    /// Writes the response body (Python's `wfile`), after [`end_headers`](Self::end_headers).
    ///
    /// For `HEAD` requests (and statuses that have no body) writes are accepted and
    /// dropped, so a `do_head` can run the `do_get` code. Writing more than the
    /// `Content-Length` sent, or before `end_headers`, fails with `InvalidInput`.
    pub fn wfile(&mut self) -> BodyWriter<'_> {
        self.response.body(self.stream.wfile())
    }

    /// Answers with the file at `path` as the whole response, as the file server does:
    /// `Content-Type` from its extension, `Content-Length`, `Last-Modified`,
    /// `Accept-Ranges`; `304` when `If-Modified-Since` says the client's copy is current;
    /// `206` with `Content-Range` for a `Range: bytes=A-B`, `bytes=A-` or `bytes=-N`
    /// (unless an `If-Range` names another copy), `416` for one past the end, a
    /// malformed one ignored. `HEAD` gets the headers only.
    ///
    /// The body is sent without copying it through user space where the OS allows it
    /// (`sendfile` on Linux; through TLS it is read and encrypted), and memory does not
    /// grow with the file's size. A path that is not a regular file is `404`; one the
    /// server may not read is `403`. `path` is used as given: to serve a directory
    /// safely from request paths, use [`FileServer`](super::FileServer).
    pub fn send_file(&mut self, path: impl AsRef<std::path::Path>) -> io::Result<()> {
        let path = path.as_ref();
        let opened = std::fs::File::open(path).and_then(|file| {
            let metadata = file.metadata()?;
            Ok((file, metadata))
        });
        match opened {
            Ok((file, metadata)) if metadata.is_file() => {
                let content_type = super::files::mime::content_type(path);
                super::files::send::send_file(self, &file, &metadata, content_type)
            }
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => self.send_error(403, None),
            _ => self.send_error(404, Some("File not found")),
        }
    }

    /// [`send_file`](Self::send_file) for a file that is already open, with the
    /// content type given.
    pub fn send_open_file(&mut self, file: &std::fs::File, content_type: &str) -> io::Result<()> {
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return self.send_error(404, Some("File not found"));
        }
        super::files::send::send_file(self, file, &metadata, content_type)
    }

    /// Sends `len` bytes of `file`, from its current position, as the body (after
    /// `end_headers`), by `sendfile` on a plain socket.
    pub(crate) fn send_file_body(&mut self, file: &std::fs::File, len: u64) -> io::Result<()> {
        self.response.send_file(self.stream.wfile(), file, len)
    }

    /// Ends the connection after this response (Python's `close_connection = True`).
    pub fn close_connection(&mut self) {
        self.response.close = true;
    }

    /// Whether the connection ends after this response.
    pub fn will_close(&self) -> bool {
        self.response.close
    }

    /// Whether `send_response` (or `send_error`) was called for this request.
    pub fn response_started(&self) -> bool {
        self.response.started()
    }

    /// After the handler: completes what it left half-done, sends the response, logs it,
    /// and says whether the connection can carry another request.
    pub(crate) fn finish_response(&mut self) -> io::Result<bool> {
        match self.response.phase {
            Phase::Idle => {
                log::error!(
                    "{}: the handler sent no response to {:?}",
                    self.stream.client_address(),
                    self.head.requestline
                );
                self.send_error(500, Some("The handler sent no response"))?;
            }
            Phase::Headers => self.end_headers()?,
            Phase::Body => {}
        }
        self.response.finish_chunked(self.stream.wfile())?;
        self.log();
        self.stream.wfile().flush()?;
        if !self.response.framing_intact() {
            if let Some(length) = self.response.content_length() {
                log::warn!(
                    "{}: response to {:?} declared Content-Length {length} but sent {} bytes; closing",
                    self.stream.client_address(),
                    self.head.requestline,
                    self.response.body_written
                );
            }
            self.response.close = true;
        }
        Ok(!self.response.close)
    }

    /// When a handler failed before answering, the client still gets a status.
    pub(crate) fn answer_failure(&mut self) {
        if self.response.phase != Phase::Body {
            let _ = match self.body.refusal.take() {
                Some((status, message)) => self.send_error(status, Some(&message)),
                None => self.send_error(500, None),
            };
            self.log();
        }
        self.response.close = true;
    }

    /// The access log line: the status and the body bytes sent.
    fn log(&self) {
        log_request(
            self.stream.client_address(),
            &self.head.requestline,
            self.response.status,
            Some(self.response.body_written),
        );
    }

    /// Reads past what the handler left of the body so that the next request can be
    /// read; `false` when the connection should close instead.
    pub(crate) fn skip_unread_body(&mut self) -> io::Result<bool> {
        if !self.body.unread() {
            return Ok(true);
        }
        if self.body.ends_connection() {
            return Ok(false);
        }
        io::copy(&mut self.body(), &mut io::sink())?;
        Ok(true)
    }
}

impl std::fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("client_address", self.stream.client_address())
            .field("requestline", &self.head.requestline)
            .field("headers", &self.head.headers)
            .field("body_remaining", &self.body.remaining)
            .finish_non_exhaustive()
    }
}
