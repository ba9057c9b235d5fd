//! Stream requests (Python's `StreamRequestHandler`): a connected socket with a buffered
//! reader `rfile` and a coalescing writer `wfile` (see `socket_io`).

use std::io::{self, Write};
use std::sync::Arc;

use super::socket_io::{SocketReader, SocketWriter, Stream};
use super::{Connection, RequestHandler};
use crate::{Address, ServerInfo};

/// One connection, as a stream handler sees it.
///
/// `rfile` is buffered (`BufRead`: `read_line`, `lines`, `read_until`); `wfile` collects a
/// reply and sends it when the handler next reads, returns or flushes (see the
/// [`SocketWriter`] docs), so a reply needs no flush.
pub struct StreamRequest {
    /// Reads from the client (Python's `rfile`).
    pub rfile: SocketReader,
    /// Writes to the client (Python's `wfile`).
    pub wfile: SocketWriter,
    /// Who connected (Python's `client_address`).
    pub client_address: Address,
    stream: Arc<Stream>,
    server: Arc<ServerInfo>,
    registration: u64,
    /// The PROXY header the connection began with (with `proxy_protocol`).
    pub(crate) proxy_header: Option<Box<crate::proxy::ProxyHeader>>,
}

impl StreamRequest {
    pub(crate) fn new(
        stream: Arc<Stream>,
        client_address: Address,
        rbufsize: usize,
        server: Arc<ServerInfo>,
        registration: u64,
    ) -> Self {
        StreamRequest {
            rfile: SocketReader::new(Arc::clone(&stream), rbufsize),
            wfile: SocketWriter::new(Arc::clone(&stream)),
            client_address,
            stream,
            server,
            registration,
            proxy_header: None,
        }
    }

    pub(crate) fn registration(&self) -> u64 {
        self.registration
    }

    /// The connection as its reader and writer share it.
    pub(crate) fn stream(&self) -> &Arc<Stream> {
        &self.stream
    }

    /// The connected socket (Python's `request` and `connection`).
    pub fn connection(&self) -> &Connection {
        &self.stream.connection
    }

    /// The server this request came to: its address and a shutdown handle.
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// The PROXY protocol header the connection began with, on a server with
    /// [`proxy_protocol`](crate::ServerBuilder::proxy_protocol): the balancer's address,
    /// the TLVs. (Its source is already [`client_address`](Self::client_address).)
    pub fn proxy_header(&self) -> Option<&crate::proxy::ProxyHeader> {
        self.proxy_header.as_deref()
    }

    /// The TLS session (the server name the client asked for, the ALPN protocol, the
    /// client's certificate), on a TLS server; `None` on a plain connection.
    #[cfg(feature = "tls")]
    pub fn tls(&self) -> Option<&crate::tls::TlsInfo> {
        self.stream.tls_info()
    }

    /// Sends what `wfile` holds after the handler's `finish`, as Python's
    /// `StreamRequestHandler` flushes. A client that has gone away is not an error worth
    /// reporting.
    pub(crate) fn flush_after_finish(&mut self) {
        if let Err(err) = self.wfile.flush() {
            log::debug!("sending the reply to {} failed: {err}", self.client_address);
        }
    }
}

impl std::fmt::Debug for StreamRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRequest")
            .field("client_address", &self.client_address)
            .field("connection", &self.stream.connection)
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
