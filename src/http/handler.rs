//! [`HttpHandler`]: Python's `BaseHTTPRequestHandler`, what a handler does with one
//! request: `do_GET`, `do_POST`, ... or one `handle` that matches on the method.

use std::io;

use super::HttpRequest;

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
/// let server = HttpServer::bind("127.0.0.1:0", || Hello)?;
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
///
/// One handler value serves every request of its connection, so its fields can keep
/// state from one request to the next. The server's options (size limits, the `Server`
/// header) are set on its builder.
pub trait HttpHandler: Send + 'static {
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
