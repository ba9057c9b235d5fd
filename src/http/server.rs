//! [`Http`], the socket kind of HTTP servers (Python's `HTTPServer` is a `TCPServer`
//! whose handler speaks HTTP), its options, and the server types: [`HttpServer`],
//! [`ThreadingHttpServer`] and the other modes.

use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::Arc;

use super::{HttpConnection, Limits};
use crate::server::{
    streams_end, BindTo, Kind, RequestContext, Server, ServerBuilder, SocketOptions,
    StreamIncoming, StreamOptions, StreamOptionsOf, Tcp,
};
use crate::{Address, Error, Forking, Iterative, Pool, Result, StreamRequest, Threading};

/// The `Server` header sent by default: `socketserver-http/<crate version>`.
pub const DEFAULT_SERVER_VERSION: &str = concat!("socketserver-http/", env!("CARGO_PKG_VERSION"));

/// The socket kind of HTTP servers: a stream kind (`Http<Tcp>`, `Http<Unix>`) whose
/// requests are HTTP connections, served by an [`HttpHandler`](super::HttpHandler).
///
/// Its builder has the HTTP options ([`limits`](ServerBuilder::limits),
/// [`server_version`](ServerBuilder::server_version)) and turns `TCP_NODELAY` on:
/// `end_headers` and the body may go out in two writes, and with Nagle's algorithm the
/// second waits for the client's delayed ACK (about 40 ms) on every keep-alive response.
/// Python's `http.server` has that stall; this does not.
#[derive(Debug)]
pub struct Http<K> {
    inner: K,
}

/// What an HTTP server's connections share: the stream options and the HTTP ones.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub(crate) stream: StreamOptions,
    pub(crate) limits: Limits,
    pub(crate) server_version: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            stream: StreamOptions {
                disable_nagle_algorithm: true,
                ..StreamOptions::default()
            },
            limits: Limits::DEFAULT,
            server_version: DEFAULT_SERVER_VERSION.to_owned(),
        }
    }
}

impl AsRef<StreamOptions> for HttpOptions {
    fn as_ref(&self) -> &StreamOptions {
        &self.stream
    }
}

impl AsRef<StreamOptions> for Arc<HttpOptions> {
    fn as_ref(&self) -> &StreamOptions {
        &self.stream
    }
}

/// An HTTP server that serves one connection at a time (Python's `HTTPServer`). One
/// connection at a time means a browser's second connection waits for the first to
/// close: serve browsers with [`ThreadingHttpServer`].
pub type HttpServer<H> = Server<Http<Tcp>, Iterative, H>;

/// An HTTP server with a thread per connection (Python's `ThreadingHTTPServer`, with
/// `daemon_threads` on as there: dropping the server does not wait for open
/// connections, which browsers keep open; `close_gracefully` ends them).
///
/// ```
/// use socketserver::http::{HttpRequest, ThreadingHttpServer};
/// use std::io::{Read, Write};
///
/// let server = ThreadingHttpServer::bind("127.0.0.1:0", || {
///     |req: &mut HttpRequest<'_>| {
///         req.send_response(301)?;
///         req.send_header("Location", "/index.html")?;
///         req.send_header("Content-Length", 0)?;
///         req.end_headers()
///     }
/// })?;
/// let addr = server.local_addr()?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.run());
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
pub type ThreadingHttpServer<H> = Server<Http<Tcp>, Threading, H>;

/// An HTTP server whose connections are served by a pool of worker threads.
pub type PoolHttpServer<H> = Server<Http<Tcp>, Pool, H>;

/// An HTTP server with a child process per connection.
pub type ForkingHttpServer<H> = Server<Http<Tcp>, Forking, H>;

impl<K, M, H> ServerBuilder<Http<K>, M, H>
where
    Http<K>: Kind<Options = Arc<HttpOptions>>,
{
    /// The size limits for requests. Default [`Limits::DEFAULT`].
    pub fn limits(mut self, limits: Limits) -> Self {
        Arc::make_mut(&mut self.options).limits = limits;
        self
    }

    /// The `Server` header (Python's `server_version` and `sys_version`). Default
    /// [`DEFAULT_SERVER_VERSION`].
    pub fn server_version(mut self, version: &str) -> Self {
        Arc::make_mut(&mut self.options).server_version = version.to_owned();
        self
    }
}

impl<K> Kind for Http<K>
where
    K: Kind<Request = StreamRequest, Incoming = StreamIncoming, Options = StreamOptions>,
{
    type Addr = K::Addr;
    type Request = HttpConnection;
    type Incoming = StreamIncoming;
    type Options = Arc<HttpOptions>;
    const REUSE_ADDRESS: bool = K::REUSE_ADDRESS;
    const LISTENS: bool = K::LISTENS;
    const DAEMON_THREADS: bool = true;

    fn local_addr(&self) -> io::Result<K::Addr> {
        self.inner.local_addr()
    }

    fn address(&self) -> io::Result<Address> {
        self.inner.address()
    }

    fn accept(&self) -> io::Result<StreamIncoming> {
        self.inner.accept()
    }

    fn raw_fd(&self) -> RawFd {
        self.inner.raw_fd()
    }

    fn adopt(fd: OwnedFd, options: &Arc<HttpOptions>) -> io::Result<Self> {
        K::adopt(fd, &options.stream).map(|inner| Http { inner })
    }

    fn client_address(incoming: &StreamIncoming) -> &Address {
        K::client_address(incoming)
    }

    fn connection_fd(incoming: &StreamIncoming) -> Option<RawFd> {
        K::connection_fd(incoming)
    }

    fn open(
        incoming: StreamIncoming,
        context: &RequestContext<Arc<HttpOptions>>,
    ) -> Result<HttpConnection> {
        let stream = incoming.open(context)?;
        Ok(HttpConnection::new(stream, Arc::clone(&context.options)))
    }

    fn end(
        connection: HttpConnection,
        context: &RequestContext<Arc<HttpOptions>>,
        report: &mut dyn FnMut(Error),
    ) {
        streams_end(connection.stream, context, report);
    }

    fn refuse(incoming: StreamIncoming) {
        K::refuse(incoming);
    }

    fn has_preamble(options: &Arc<HttpOptions>) -> bool {
        K::has_preamble(&options.stream)
    }

    fn preamble(incoming: &mut StreamIncoming, options: &Arc<HttpOptions>) -> Result<()> {
        K::preamble(incoming, &options.stream)
    }
}

impl<K> StreamOptionsOf for Http<K>
where
    K: Kind<Request = StreamRequest, Incoming = StreamIncoming, Options = StreamOptions>,
{
    fn stream_options(options: &mut Arc<HttpOptions>) -> &mut StreamOptions {
        &mut Arc::make_mut(options).stream
    }
}

impl<A, K> BindTo<A> for Http<K>
where
    K: BindTo<A>
        + Kind<Request = StreamRequest, Incoming = StreamIncoming, Options = StreamOptions>,
{
    fn bind_to(addr: A, socket: &SocketOptions, options: &Arc<HttpOptions>) -> Result<Self> {
        K::bind_to(addr, socket, &options.stream).map(|inner| Http { inner })
    }
}
