//! [`HttpHandler`]: Python's `BaseHTTPRequestHandler`, and [`HttpStreamHandler`], which
//! runs one as a [`StreamHandler`] so that it serves on any stream server (TCP or Unix,
//! iterative or threading).
//!
//! The adapter is the keep-alive loop of Python's `handle()`: read a head, check how the
//! body is framed, dispatch to the handler, complete the response, skip what the handler
//! left of the body, and go on while the connection may stay open.

use std::io::{self, Read};
use std::net::Shutdown;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use super::head::{read_head, Head, ReadHead};
use super::request::{BodyState, HttpRequest};
use super::response::answer_reject;
use super::{Limits, Version};
use crate::{StreamHandler, StreamRequest};

/// The `Server` header sent by default: `socketserver-http/<crate version>`.
pub const DEFAULT_SERVER_VERSION: &str = concat!("socketserver-http/", env!("CARGO_PKG_VERSION"));

/// Serves HTTP requests, one handler value per connection: Python's
/// `BaseHTTPRequestHandler`.
///
/// Two styles, whichever reads better:
///
/// - implement `do_get`, `do_post`, ... (Python's `do_GET`, `do_POST`); the methods you
///   leave out answer `501 Not Implemented`, and `do_head` runs `do_get` with the body
///   dropped;
/// - or implement [`handle`](Self::handle) and `match` on the method and path yourself
///   (a closure `|req: &mut HttpRequest<'_>| ...` is such a handler).
///
/// ```
/// use socketserver::http::{HttpHandler, HttpRequest, HttpServer};
/// use std::io::{self, Read, Write};
///
/// struct Hello;
/// impl HttpHandler for Hello {
///     fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
///         if req.path() != "/" {
///             return req.send_error(404, None);
///         }
///         let body = b"hello\n";
///         req.send_response(200)?;
///         req.send_header("Content-Type", "text/plain")?;
///         req.send_header("Content-Length", body.len())?;
///         req.end_headers()?;
///         req.wfile().write_all(body)
///     }
/// }
///
/// let server = HttpServer::bind_http("127.0.0.1:0", || Hello)?;
/// let addr = server.local_addr()?;
/// let client = std::thread::spawn(move || -> io::Result<String> {
///     let mut stream = std::net::TcpStream::connect(addr)?;
///     stream.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
///     let mut reply = String::new();
///     stream.read_to_string(&mut reply)?;
///     Ok(reply)
/// });
/// server.handle_request()?; // one connection, one request (HTTP/1.0 closes after it)
/// let reply = client.join().unwrap()?;
/// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(reply.ends_with("\r\n\r\nhello\n"));
/// # Ok::<(), socketserver::Error>(())
/// ```
pub trait HttpHandler: Send + 'static {
    /// The `Server` header (Python's `server_version` and `sys_version`).
    const SERVER_VERSION: &'static str = DEFAULT_SERVER_VERSION;

    /// The size limits for requests on this handler's connection. Default
    /// [`Limits::DEFAULT`].
    fn limits(&self) -> Limits {
        Limits::DEFAULT
    }

    /// Serves one request. By default dispatches on the method to `do_get`, `do_head`,
    /// `do_post`, `do_put`, `do_delete`, `do_patch` and `do_options`, and answers any
    /// other method with `501` (Python's `handle_one_request`).
    ///
    /// Returning an error ends the connection: when nothing was sent yet the client
    /// gets a `500`, and the error goes to the server's `handle_error`, except for a
    /// client that went away (broken pipe, reset), which is logged at debug level, and
    /// a socket timeout (`connection_timeout`), logged at info level as Python's
    /// "Request timed out".
    fn handle(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        match request.method() {
            "GET" => self.do_get(request),
            "HEAD" => self.do_head(request),
            "POST" => self.do_post(request),
            "PUT" => self.do_put(request),
            "DELETE" => self.do_delete(request),
            "PATCH" => self.do_patch(request),
            "OPTIONS" => self.do_options(request),
            _ => unsupported_method(request),
        }
    }

    /// `GET` (Python's `do_GET`). Default: `501`.
    fn do_get(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        unsupported_method(request)
    }

    /// `HEAD`. Default: runs [`do_get`](Self::do_get); its body is not sent, its
    /// headers (`Content-Length` included) are.
    fn do_head(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        self.do_get(request)
    }

    /// `POST`. Default: `501`.
    fn do_post(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        unsupported_method(request)
    }

    /// `PUT`. Default: `501`.
    fn do_put(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        unsupported_method(request)
    }

    /// `DELETE`. Default: `501`.
    fn do_delete(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        unsupported_method(request)
    }

    /// `PATCH`. Default: `501`.
    fn do_patch(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        unsupported_method(request)
    }

    /// `OPTIONS`. Default: `501`.
    fn do_options(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        unsupported_method(request)
    }
}

impl<F> HttpHandler for F
where
    F: FnMut(&mut HttpRequest<'_>) -> io::Result<()> + Send + 'static,
{
    fn handle(&mut self, request: &mut HttpRequest<'_>) -> io::Result<()> {
        self(request)
    }
}

/// Answers `501 Unsupported method ('NAME')`, as Python does for a method without a
/// `do_` method; for `match` arms that do not serve a method.
pub fn unsupported_method(request: &mut HttpRequest<'_>) -> io::Result<()> {
    let message = format!("Unsupported method ('{}')", request.method());
    request.send_error(501, Some(&message))
}

/// Runs an [`HttpHandler`] as a [`StreamHandler`]: the keep-alive loop of Python's
/// `BaseHTTPRequestHandler.handle`. [`HttpServer`](super::HttpServer) uses it for you;
/// use it yourself to serve HTTP on another stream server, a Unix socket say:
///
/// ```
/// # #[cfg(unix)] {
/// use socketserver::http::{HttpRequest, HttpStreamHandler};
/// use socketserver::UnixStreamServer;
/// use std::io::{Read, Write};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("http.sock");
/// let server = UnixStreamServer::bind(&path, || {
///     HttpStreamHandler::new(|req: &mut HttpRequest<'_>| req.send_error(404, None))
/// })?;
/// let mut client = std::os::unix::net::UnixStream::connect(&path)?;
/// client.write_all(b"GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n")?;
/// server.handle_request()?;
/// let mut reply = String::new();
/// client.read_to_string(&mut reply)?;
/// assert!(reply.starts_with("HTTP/1.1 404 Not Found\r\n"));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct HttpStreamHandler<H> {
    handler: H,
}

impl<H> HttpStreamHandler<H> {
    /// Wraps `handler`.
    pub fn new(handler: H) -> Self {
        HttpStreamHandler { handler }
    }

    /// The wrapped handler.
    pub fn get_ref(&self) -> &H {
        &self.handler
    }

    /// The wrapped handler, mutably.
    pub fn get_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Unwraps the handler.
    pub fn into_inner(self) -> H {
        self.handler
    }
}

impl<H: HttpHandler> StreamHandler for HttpStreamHandler<H> {
    fn handle(&mut self, stream: &mut StreamRequest) -> io::Result<()> {
        match self.serve(stream) {
            Err(err) if client_gone(&err) => {
                log::debug!("{}: client went away: {err}", stream.client_address);
                Ok(())
            }
            // Python's "Request timed out": the connection ends, handle_error is not called.
            Err(err) if timed_out(&err) => {
                log::info!("{}: request timed out: {err}", stream.client_address);
                Ok(())
            }
            other => other,
        }
    }
}

impl<H: HttpHandler> HttpStreamHandler<H> {
    fn serve(&mut self, stream: &mut StreamRequest) -> io::Result<()> {
        let limits = self.handler.limits();
        loop {
            let head = match read_head(&mut stream.rfile, &limits) {
                Ok(ReadHead::Request(head)) => head,
                Ok(ReadHead::Closed) => return Ok(()),
                Ok(ReadHead::Rejected(reject)) => {
                    answer_reject(stream, &reject, H::SERVER_VERSION);
                    linger_close(stream);
                    return Ok(());
                }
                Err(err) => return Err(err),
            };
            let body = match body_framing(&head, &limits) {
                Ok(body) => body,
                Err((status, message)) => {
                    let empty = BodyState {
                        remaining: 0,
                        continue_pending: false,
                    };
                    let mut request = HttpRequest::new(stream, head, empty, H::SERVER_VERSION);
                    request.send_error(status, Some(&message))?;
                    linger_close(stream);
                    return Ok(());
                }
            };
            let mut request = HttpRequest::new(stream, head, body, H::SERVER_VERSION);
            let handled =
                panic::catch_unwind(AssertUnwindSafe(|| self.handler.handle(&mut request)));
            match handled {
                Ok(Ok(())) => {}
                Ok(Err(err)) => {
                    if !client_gone(&err) {
                        request.answer_failure();
                    }
                    return Err(err);
                }
                Err(payload) => {
                    request.answer_failure();
                    // The server catches it again and reports it through handle_error.
                    panic::resume_unwind(payload);
                }
            }
            let keep_alive = request.finish_response()?;
            if !keep_alive || !request.skip_unread_body()? {
                if request.body_remaining() > 0 {
                    linger_close(stream);
                }
                return Ok(());
            }
        }
    }
}

/// How the request body is framed, or the status that refuses it.
fn body_framing(head: &Head, limits: &Limits) -> Result<BodyState, (u16, String)> {
    let headers = &head.headers;
    if headers.get("Transfer-Encoding").is_some() {
        if headers.get("Content-Length").is_some() {
            // Both framings at once is how requests are smuggled past proxies.
            return Err((400, "Both Transfer-Encoding and Content-Length".into()));
        }
        return Err((
            501,
            "Transfer-Encoding is not supported; send Content-Length".into(),
        ));
    }
    let mut length: Option<u64> = None;
    for item in headers.get_all("Content-Length").flat_map(|v| v.split(',')) {
        let item = item.trim();
        if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
            return Err((400, format!("Bad Content-Length ({item:?})")));
        }
        let value = item.parse::<u64>().unwrap_or(u64::MAX);
        if length.is_some_and(|seen| seen != value) {
            return Err((400, "Conflicting Content-Length values".into()));
        }
        length = Some(value);
    }
    let remaining = length.unwrap_or(0);
    if remaining > limits.max_body {
        let message = format!(
            "Body of {remaining} bytes is over the limit of {} bytes",
            limits.max_body
        );
        return Err((413, message));
    }
    let continue_pending = match headers.get("Expect") {
        Some(expect) if head.version == Version::Http11 => {
            if !expect.trim().eq_ignore_ascii_case("100-continue") {
                return Err((417, format!("Unsupported expectation ({expect:?})")));
            }
            remaining > 0
        }
        _ => false,
    };
    Ok(BodyState {
        remaining,
        continue_pending,
    })
}

/// How long a refused connection is drained before it closes.
const LINGER: Duration = Duration::from_millis(500);
/// How much of a refused connection's input is drained at most.
const LINGER_BYTES: usize = 1 << 20;

/// Closing a socket with unread input makes the kernel reset the connection, and a reset
/// can destroy the response before the client has read it. So: shut the write half
/// (the client sees the end of the response), then read and drop what the client is
/// still sending, for a short bounded while.
fn linger_close(stream: &mut StreamRequest) {
    let connection = stream.connection();
    if connection.shutdown(Shutdown::Write).is_err()
        || connection.set_read_timeout(Some(LINGER)).is_err()
    {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut drained = 0;
    let mut buf = [0; 8192];
    while drained < LINGER_BYTES && Instant::now() < deadline {
        match stream.rfile.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// A read or write failed because the client went away: the normal end of a connection.
pub(crate) fn client_gone(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
    )
}

fn timed_out(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::head::ReadHead;

    fn head(text: &str) -> Head {
        let mut rfile = io::BufReader::new(text.as_bytes());
        match read_head(&mut rfile, &Limits::DEFAULT).unwrap() {
            ReadHead::Request(head) => head,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn refused(text: &str) -> u16 {
        body_framing(&head(text), &Limits::DEFAULT.max_body(1000))
            .expect_err("accepted")
            .0
    }

    #[test]
    fn content_length_frames_the_body() {
        let body = body_framing(
            &head("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            &Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(body.remaining, 12);
        assert!(!body.continue_pending);
        let same_twice =
            head("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(
            body_framing(&same_twice, &Limits::DEFAULT)
                .unwrap()
                .remaining,
            5
        );
        let none = head("GET / HTTP/1.1\r\n\r\n");
        assert_eq!(body_framing(&none, &Limits::DEFAULT).unwrap().remaining, 0);
    }

    #[test]
    fn bad_framing_is_refused() {
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"),
            413
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            413
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nExpect: something-else\r\n\r\n"),
            417
        );
    }

    #[test]
    fn expect_continue_only_with_a_body_on_http11() {
        let with_body = head("PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert!(
            body_framing(&with_body, &Limits::DEFAULT)
                .unwrap()
                .continue_pending
        );
        let http10 = head("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert!(
            !body_framing(&http10, &Limits::DEFAULT)
                .unwrap()
                .continue_pending
        );
    }
}
