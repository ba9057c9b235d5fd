//! Writing a response: Python's `send_response`, `send_header`, `end_headers` and
//! `send_error` on [`HttpRequest`], the body writer [`BodyWriter`], and the access log.
//!
//! Header lines are collected and written in one piece by `end_headers`. It also keeps
//! the connection's framing right, which Python leaves to the handler: a response with
//! neither `Content-Length` nor an empty body by definition closes the connection (and
//! says `Connection: close`), so an HTTP/1.1 client never waits for a body that has no end.

use std::fmt::Display;
use std::io::{self, IoSlice, Write};
use std::time::SystemTime;

use super::head::{Head, Reject};
use super::request::HttpRequest;
use super::status::{explanation, has_no_body, status_phrase};
use super::Version;
use crate::handler::stream::SocketWriter;
use crate::{Address, StreamRequest};

/// Where a response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing sent or buffered yet.
    Idle,
    /// `send_response` was called; header lines are being collected.
    Headers,
    /// `end_headers` wrote the head; the body follows.
    Body,
}

/// The response to one request.
#[derive(Debug)]
pub(crate) struct ResponseState {
    phase: Phase,
    buffer: Vec<u8>,
    status: u16,
    content_length: Option<u64>,
    connection_header: bool,
    /// Python's `close_connection`: end the connection after this response.
    pub(crate) close: bool,
    body_written: u64,
    /// HEAD, or a status that has no body: writes are counted, not sent.
    discard_body: bool,
    head_request: bool,
    request_version: Version,
}

impl ResponseState {
    pub(crate) fn new(head: &Head) -> Self {
        let keep_alive = match head.version {
            Version::Http10 => head.headers.has_token("Connection", "keep-alive"),
            Version::Http11 => !head.headers.has_token("Connection", "close"),
        };
        ResponseState {
            phase: Phase::Idle,
            buffer: Vec::new(),
            status: 0,
            content_length: None,
            connection_header: false,
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
    fn framing_intact(&self) -> bool {
        match self.content_length {
            _ if self.discard_body => true,
            Some(length) => self.body_written == length,
            None => false,
        }
    }
}

impl HttpRequest<'_> {
    /// Starts the response with a status line and the `Server` and `Date` headers, and
    /// writes the access log line (Python's `send_response`). The reason phrase is the
    /// standard one for `code`.
    ///
    /// Fails with `InvalidInput` once the headers were sent.
    pub fn send_response(&mut self, code: u16) -> io::Result<()> {
        self.send_response_with_reason(code, status_phrase(code))
    }

    /// [`send_response`](Self::send_response) with a reason phrase of your own
    /// (Python's `send_response(code, message)`).
    pub fn send_response_with_reason(&mut self, code: u16, reason: &str) -> io::Result<()> {
        if self.response.phase == Phase::Body {
            return Err(misuse(
                "send_response after end_headers: the response was sent",
            ));
        }
        check_field_value(reason)?;
        log_request(&self.stream.client_address, &self.head.requestline, code);
        let state = &mut self.response;
        state.phase = Phase::Headers;
        state.status = code;
        state.buffer.clear();
        state.content_length = None;
        state.connection_header = false;
        state.discard_body = state.head_request || has_no_body(code);
        status_head(&mut state.buffer, code, reason, self.server_version);
        Ok(())
    }

    /// Adds a header line (Python's `send_header`); `value` is anything `Display`, so
    /// `send_header("Content-Length", body.len())` works.
    ///
    /// `Connection: close` ends the connection after this response, and
    /// `Content-Length` is what lets it stay open. A name or value with a line break is
    /// refused (`InvalidInput`), which Python does not check.
    pub fn send_header(&mut self, name: &str, value: impl Display) -> io::Result<()> {
        if self.response.phase != Phase::Headers {
            return Err(misuse("send_header outside send_response .. end_headers"));
        }
        let value = value.to_string();
        check_field_name(name)?;
        check_field_value(&value)?;
        let state = &mut self.response;
        if name.eq_ignore_ascii_case("Content-Length") {
            let length = value.trim().parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Content-Length is not a number",
                )
            })?;
            state.content_length = Some(length);
        } else if name.eq_ignore_ascii_case("Connection") {
            state.connection_header = true;
            if value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"))
            {
                state.close = true;
            }
        }
        push_field(&mut state.buffer, name, &value);
        Ok(())
    }

    /// Ends the header lines and sends the head (Python's `end_headers`); the body
    /// follows through [`wfile`](Self::wfile).
    ///
    /// Adds `Connection: close` when the connection must close after this response
    /// (the request asked for it, the body has no `Content-Length`, or the handler left
    /// too much of the request body unread to skip it), and
    /// `Connection: keep-alive` when an HTTP/1.0 client asked to keep it open.
    pub fn end_headers(&mut self) -> io::Result<()> {
        if self.response.phase != Phase::Headers {
            return Err(misuse("end_headers without send_response"));
        }
        let unread_body_ends_connection = self.unread_body_ends_connection();
        let state = &mut self.response;
        if (state.content_length.is_none() && !state.discard_body) || unread_body_ends_connection {
            state.close = true;
        }
        if !state.connection_header {
            if state.close {
                push_field(&mut state.buffer, "Connection", "close");
            } else if state.request_version == Version::Http10 {
                push_field(&mut state.buffer, "Connection", "keep-alive");
            }
        }
        state.buffer.extend_from_slice(b"\r\n");
        let interim = (100..200).contains(&state.status);
        state.phase = if interim { Phase::Idle } else { Phase::Body };
        let sent = self
            .stream
            .wfile
            .write_all(&state.buffer)
            .and_then(|()| self.stream.wfile.flush());
        state.buffer.clear();
        if sent.is_err() {
            state.close = true;
        }
        sent
    }

    /// Sends a complete error response (Python's `send_error`): the status line, a
    /// small HTML page that explains the code and shows `message` (HTML-escaped), and
    /// `Connection: close`. No page for `HEAD`, `1xx`, `204` and `304`.
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
        log::info!(
            "{} - - code {code}, message {}",
            host(&self.stream.client_address),
            escape_controls(message)
        );
        self.response.close = true;
        self.send_response(code)?;
        self.send_header("Connection", "close")?;
        let page = (code >= 200 && code != 204 && code != 205 && code != 304)
            .then(|| error_page(code, message));
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
        BodyWriter {
            wfile: &mut self.stream.wfile,
            state: &mut self.response,
        }
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

    /// After the handler: completes what it left half-done and says whether the
    /// connection can carry another request.
    pub(crate) fn finish_response(&mut self) -> io::Result<bool> {
        match self.response.phase {
            Phase::Idle => {
                log::error!(
                    "{}: the handler sent no response to {:?}",
                    self.stream.client_address,
                    self.head.requestline
                );
                self.send_error(500, Some("The handler sent no response"))?;
            }
            Phase::Headers => self.end_headers()?,
            Phase::Body => {}
        }
        self.stream.wfile.flush()?;
        if !self.response.framing_intact() {
            if let Some(length) = self.response.content_length {
                log::warn!(
                    "{}: response to {:?} declared Content-Length {length} but sent {} bytes; closing",
                    self.stream.client_address,
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
            let _ = self.send_error(500, None);
        }
        self.response.close = true;
    }
}

/// Writes the body of a response: [`HttpRequest::wfile`].
pub struct BodyWriter<'r> {
    wfile: &'r mut io::BufWriter<SocketWriter>,
    state: &'r mut super::response::ResponseState,
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

/// Python's `error_content_type`.
const ERROR_CONTENT_TYPE: &str = "text/html;charset=utf-8";

/// Python's `DEFAULT_ERROR_MESSAGE`, filled in.
fn error_page(code: u16, message: &str) -> String {
    let explain = explanation(code).unwrap_or(status_phrase(code));
    format!(
        "<!DOCTYPE HTML>\n\
         <html lang=\"en\">\n\
         \x20   <head>\n\
         \x20       <meta charset=\"utf-8\">\n\
         \x20       <title>Error response</title>\n\
         \x20   </head>\n\
         \x20   <body>\n\
         \x20       <h1>Error response</h1>\n\
         \x20       <p>Error code: {code}</p>\n\
         \x20       <p>Message: {}.</p>\n\
         \x20       <p>Error code explanation: {code} - {}.</p>\n\
         \x20   </body>\n\
         </html>\n",
        escape_html(message),
        escape_html(explain),
    )
}

/// Answers a request refused before a handler saw it, and logs it as `send_error` does.
pub(crate) fn answer_reject(stream: &mut StreamRequest, reject: &Reject, server_version: &str) {
    let client = &stream.client_address;
    log::info!(
        "{} - - code {}, message {}",
        host(client),
        reject.status,
        escape_controls(&reject.message)
    );
    log_request(
        client,
        reject.requestline.as_deref().unwrap_or("-"),
        reject.status,
    );
    let page = error_page(reject.status, &reject.message);
    let mut response = Vec::with_capacity(page.len() + 256);
    status_head(
        &mut response,
        reject.status,
        status_phrase(reject.status),
        server_version,
    );
    push_field(&mut response, "Connection", "close");
    push_field(&mut response, "Content-Type", ERROR_CONTENT_TYPE);
    push_field(&mut response, "Content-Length", &page.len().to_string());
    response.extend_from_slice(b"\r\n");
    response.extend_from_slice(page.as_bytes());
    let sent = stream
        .wfile
        .write_all(&response)
        .and_then(|()| stream.wfile.flush());
    if let Err(err) = sent {
        log::debug!("{client}: could not send {}: {err}", reject.status);
    }
}

/// The status line and the headers every response carries.
fn status_head(buffer: &mut Vec<u8>, code: u16, reason: &str, server_version: &str) {
    buffer.extend_from_slice(format!("HTTP/1.1 {code} {reason}\r\n").as_bytes());
    push_field(buffer, "Server", server_version);
    push_field(buffer, "Date", &httpdate::fmt_http_date(SystemTime::now()));
}

fn push_field(buffer: &mut Vec<u8>, name: &str, value: &str) {
    buffer.extend_from_slice(name.as_bytes());
    buffer.extend_from_slice(b": ");
    buffer.extend_from_slice(value.as_bytes());
    buffer.extend_from_slice(b"\r\n");
}

/// Python's `log_request`: `host - - [date] "request line" code -`, at info level.
fn log_request(client: &Address, requestline: &str, code: u16) {
    log::info!(
        "{} - - [{}] \"{}\" {code} -",
        host(client),
        httpdate::fmt_http_date(SystemTime::now()),
        escape_controls(requestline)
    );
}

/// Python's `address_string`: the client's host without the port.
fn host(client: &Address) -> String {
    match client.as_inet() {
        Some(addr) => addr.ip().to_string(),
        None => client.to_string(),
    }
}

/// Log lines show control characters as `\xNN`, as Python's `log_message` does, so a
/// request line cannot forge log lines or move the terminal's cursor.
fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            c if c.is_control() => escaped.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    escaped
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A field name is a token: visible ASCII without separators (RFC 9110 §5.6.2).
fn check_field_name(name: &str) -> io::Result<()> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if !name.is_empty() && name.bytes().all(is_tchar) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid header name {name:?}"),
        ))
    }
}

/// A line break in a value would end the header early and let the rest forge headers
/// or a body (response splitting).
fn check_field_value(value: &str) -> io::Result<()> {
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("header value with a line break: {value:?}"),
        ))
    } else {
        Ok(())
    }
}

fn misuse(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_escapes_the_message() {
        let page = error_page(404, "<script>alert('x')</script>");
        assert!(page.contains("<p>Error code: 404</p>"));
        assert!(page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"));
        assert!(page.contains("404 - Nothing matches the given URI."));
    }

    #[test]
    fn field_checks() {
        assert!(check_field_name("Content-Type").is_ok());
        assert!(check_field_name("Bad Name").is_err());
        assert!(check_field_name("").is_err());
        assert!(check_field_value("text/html").is_ok());
        assert!(check_field_value("a\r\nSet-Cookie: x").is_err());
    }

    #[test]
    fn log_escaping() {
        assert_eq!(escape_controls("GET /\x1b[2J \\ x"), "GET /\\x1b[2J \\\\ x");
    }
}
