//! [`HttpServer`] and [`ThreadingHttpServer`]: Python's `HTTPServer` and
//! `ThreadingHTTPServer`, which are a TCP server and a threading TCP server whose
//! handler speaks HTTP.

use std::net::ToSocketAddrs;

use super::{HttpHandler, HttpStreamHandler};
use crate::server::Tcp;
use crate::{Result, ServerBuilder, TcpServer, Threading};

/// An HTTP server that serves one connection at a time (Python's `HTTPServer`): a
/// [`TcpServer`] running an [`HttpHandler`] through [`HttpStreamHandler`].
///
/// [`bind_http`](Self::bind_http) sets `allow_reuse_address`, as Python's `HTTPServer`
/// does, so a restarted server can bind its port at once. One connection at a time
/// means a browser's second connection waits for the first to close: serve browsers
/// with [`ThreadingHttpServer`].
pub type HttpServer<H> = TcpServer<HttpStreamHandler<H>>;

/// An HTTP server with a thread per connection (Python's `ThreadingHTTPServer`, with
/// `daemon_threads` on as there: closing the server does not wait for open
/// connections, which browsers keep open).
///
/// ```
/// use socketserver::http::{HttpRequest, ThreadingHttpServer};
/// use std::io::{Read, Write};
///
/// let server = ThreadingHttpServer::bind_http("127.0.0.1:0", || {
///     |req: &mut HttpRequest<'_>| {
///         req.send_response(301)?;
///         req.send_header("Location", "/index.html")?;
///         req.send_header("Content-Length", 0)?;
///         req.end_headers()
///     }
/// })?;
/// let addr = server.local_addr()?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.serve_forever());
///
/// let mut client = std::net::TcpStream::connect(addr)?;
/// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut reply = String::new();
/// client.read_to_string(&mut reply)?;
/// assert!(reply.starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
/// assert!(reply.contains("\r\nLocation: /index.html\r\n"));
///
/// handle.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
pub type ThreadingHttpServer<H> = Threading<HttpServer<H>>;

impl<H: HttpHandler> HttpServer<H> {
    /// Binds an HTTP server to `addr` with `allow_reuse_address` and
    /// `disable_nagle_algorithm` on. `factory` makes one handler per connection, which
    /// serves every request on it.
    ///
    /// (Named `bind_http` because `bind`, inherited from [`TcpServer`], takes a factory
    /// of stream handlers.)
    pub fn bind_http<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::http_builder().bind_http(addr, factory)
    }

    /// A builder with `allow_reuse_address` and `disable_nagle_algorithm` already on, for
    /// the other options (`connection_timeout`, `request_queue_size`, ...); finish with
    /// [`ServerBuilder::bind_http`].
    ///
    /// `end_headers` sends the head and `wfile` the body in a second write; with Nagle's
    /// algorithm on, that second write waits for the client's delayed ACK (about 40 ms)
    /// on every keep-alive response. Python's `http.server` has that stall; this does not.
    pub fn http_builder() -> ServerBuilder<Tcp, HttpStreamHandler<H>> {
        Self::builder()
            .allow_reuse_address(true)
            .disable_nagle_algorithm(true)
    }
}

impl<H: HttpHandler> ServerBuilder<Tcp, HttpStreamHandler<H>> {
    /// Binds an HTTP server with this builder's options.
    ///
    /// ```
    /// use socketserver::http::{HttpRequest, HttpServer};
    /// use std::time::Duration;
    ///
    /// let server = HttpServer::http_builder()
    ///     .connection_timeout(Some(Duration::from_secs(30)))
    ///     .bind_http("127.0.0.1:0", || {
    ///         |req: &mut HttpRequest<'_>| req.send_error(404, None)
    ///     })?;
    /// # drop(server);
    /// # Ok::<(), socketserver::Error>(())
    /// ```
    pub fn bind_http<A, F>(self, addr: A, factory: F) -> Result<HttpServer<H>>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        self.bind(addr, move || HttpStreamHandler::new(factory()))
    }
}

impl<H: HttpHandler> ThreadingHttpServer<H> {
    /// Binds an HTTP server that serves each connection on its own thread, with
    /// `allow_reuse_address` and `daemon_threads` on, as Python's `ThreadingHTTPServer`.
    pub fn bind_http<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Threading::new(HttpServer::bind_http(addr, factory)?).daemon_threads(true))
    }
}
