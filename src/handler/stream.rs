//! Stream requests (Python's `StreamRequestHandler`): a connected socket with a buffered
//! reader `rfile` and a writer `wfile`.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use super::RequestHandler;
use crate::{Address, ServerInfo};

/// A connected stream socket: TCP or Unix (Python's `request` / `connection`).
#[derive(Debug)]
#[non_exhaustive]
pub enum Connection {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix-domain stream connection.
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Connection {
    /// The TCP stream, if this is a TCP connection.
    pub fn as_tcp(&self) -> Option<&TcpStream> {
        match self {
            Connection::Tcp(s) => Some(s),
            #[cfg(unix)]
            Connection::Unix(_) => None,
        }
    }

    /// The Unix stream, if this is a Unix-domain connection.
    #[cfg(unix)]
    pub fn as_unix(&self) -> Option<&UnixStream> {
        match self {
            Connection::Unix(s) => Some(s),
            Connection::Tcp(_) => None,
        }
    }

    /// Sets the read timeout (`None` blocks forever). A read past it fails with
    /// `WouldBlock` or `TimedOut`.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Connection::Tcp(s) => s.set_read_timeout(timeout),
            #[cfg(unix)]
            Connection::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    /// Sets the write timeout (`None` blocks forever).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Connection::Tcp(s) => s.set_write_timeout(timeout),
            #[cfg(unix)]
            Connection::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    /// Shuts down the read half, the write half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Connection::Tcp(s) => s.shutdown(how),
            #[cfg(unix)]
            Connection::Unix(s) => s.shutdown(how),
        }
    }

    /// A second handle to the same socket (`dup`), for another thread to write to it,
    /// as a chat server's writer thread does.
    pub fn try_clone(&self) -> io::Result<Connection> {
        match self {
            Connection::Tcp(s) => s.try_clone().map(Connection::Tcp),
            #[cfg(unix)]
            Connection::Unix(s) => s.try_clone().map(Connection::Unix),
        }
    }

    /// Sets blocking or non-blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Connection::Tcp(s) => s.set_nonblocking(nonblocking),
            #[cfg(unix)]
            Connection::Unix(s) => s.set_nonblocking(nonblocking),
        }
    }
}

impl Read for &Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match *self {
            Connection::Tcp(s) => (&*s).read(buf),
            #[cfg(unix)]
            Connection::Unix(s) => (&*s).read(buf),
        }
    }
}

impl Write for &Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match *self {
            Connection::Tcp(s) => (&*s).write(buf),
            #[cfg(unix)]
            Connection::Unix(s) => (&*s).write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match *self {
            Connection::Tcp(s) => (&*s).write_vectored(bufs),
            #[cfg(unix)]
            Connection::Unix(s) => (&*s).write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The read half under [`StreamRequest::rfile`].
#[derive(Debug)]
pub struct SocketReader(Arc<Connection>);

impl Read for SocketReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

/// The write half under [`StreamRequest::wfile`] (Python's `_SocketWriter`).
#[derive(Debug)]
pub struct SocketWriter(Arc<Connection>);

impl Write for SocketWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self.0).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Per-connection settings, Python's `StreamRequestHandler` class attributes.
#[derive(Debug, Clone)]
pub(crate) struct StreamOptions {
    pub(crate) rbufsize: usize,
    pub(crate) wbufsize: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) disable_nagle_algorithm: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            rbufsize: 8192,
            wbufsize: 0,
            timeout: None,
            disable_nagle_algorithm: false,
        }
    }
}

/// One connection, as a stream handler sees it.
///
/// `rfile` is buffered (`BufRead`: `read_line`, `lines`, `read_until`); `wfile` writes
/// straight to the socket by default (Python's `wbufsize = 0`), so replies need no flush.
/// With a `wbufsize` set on the server, `wfile` buffers and is flushed after `finish`.
pub struct StreamRequest {
    /// Reads from the client (Python's `rfile`).
    pub rfile: BufReader<SocketReader>,
    /// Writes to the client (Python's `wfile`).
    pub wfile: BufWriter<SocketWriter>,
    /// Who connected (Python's `client_address`).
    pub client_address: Address,
    connection: Arc<Connection>,
    server: Arc<ServerInfo>,
    registration: u64,
}

impl StreamRequest {
    pub(crate) fn new(
        connection: Arc<Connection>,
        client_address: Address,
        options: &StreamOptions,
        server: Arc<ServerInfo>,
        registration: u64,
    ) -> io::Result<Self> {
        if let Some(timeout) = options.timeout {
            connection.set_read_timeout(Some(timeout))?;
            connection.set_write_timeout(Some(timeout))?;
        }
        if options.disable_nagle_algorithm {
            if let Some(tcp) = connection.as_tcp() {
                tcp.set_nodelay(true)?;
            }
        }
        let reader = SocketReader(Arc::clone(&connection));
        let writer = SocketWriter(Arc::clone(&connection));
        Ok(StreamRequest {
            rfile: BufReader::with_capacity(options.rbufsize.max(1), reader),
            wfile: BufWriter::with_capacity(options.wbufsize, writer),
            client_address,
            connection,
            server,
            registration,
        })
    }

    pub(crate) fn registration(&self) -> u64 {
        self.registration
    }

    /// The connected socket (Python's `request` and `connection`).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The server this request came to: its address and a shutdown handle.
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// Flushes `wfile` after the handler's `finish`, as Python's `StreamRequestHandler`
    /// does. A client that has gone away is not an error worth reporting.
    pub(crate) fn flush_after_finish(&mut self) {
        if let Err(err) = self.wfile.flush() {
            log::debug!(
                "flushing the reply to {} failed: {err}",
                self.client_address
            );
        }
    }
}

impl std::fmt::Debug for StreamRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRequest")
            .field("client_address", &self.client_address)
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

/// A handler for stream servers (TCP and Unix): Python's `StreamRequestHandler`.
///
/// ```
/// use socketserver::{StreamHandler, StreamRequest, TcpServer};
/// use std::io::{self, BufRead, Read, Write};
///
/// struct Echo;
/// impl StreamHandler for Echo {
///     fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
///         let mut line = Vec::new();
///         while req.rfile.read_until(b'\n', &mut line)? > 0 {
///             req.wfile.write_all(&line)?;
///             line.clear();
///         }
///         Ok(())
///     }
/// }
///
/// let server = TcpServer::bind("127.0.0.1:0", || Echo)?;
/// let mut client = std::net::TcpStream::connect(server.local_addr()?)?;
/// client.write_all(b"one\ntwo\n")?;
/// client.shutdown(std::net::Shutdown::Write)?; // the handler sees end-of-file
/// server.handle_request()?;
/// let mut echoed = String::new();
/// client.read_to_string(&mut echoed)?;
/// assert_eq!(echoed, "one\ntwo\n");
/// # Ok::<(), socketserver::Error>(())
/// ```
///
/// A closure `FnMut(&mut StreamRequest) -> io::Result<()>` is a `StreamHandler` too.
pub trait StreamHandler: Send + 'static {
    /// Called before [`handle`](Self::handle).
    fn setup(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let _ = request;
        Ok(())
    }

    /// Serves the connection.
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()>;

    /// Called after [`handle`](Self::handle), even when it failed; `wfile` is flushed after it.
    fn finish(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let _ = request;
        Ok(())
    }
}

impl<F> StreamHandler for F
where
    F: FnMut(&mut StreamRequest) -> io::Result<()> + Send + 'static,
{
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        self(request)
    }
}

impl<T: StreamHandler> RequestHandler<StreamRequest> for T {
    fn setup(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        StreamHandler::setup(self, request)
    }

    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        StreamHandler::handle(self, request)
    }

    fn finish(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        StreamHandler::finish(self, request)
    }
}
