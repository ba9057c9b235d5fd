//! Stream requests (Python's `StreamRequestHandler`): a connected socket with a buffered
//! reader `rfile` and a coalescing writer `wfile`.
//!
//! `wfile` collects what a handler writes and sends it in one piece when the handler next
//! waits for input (`rfile` needs more bytes), finishes, flushes, or fills the buffer. So
//! `write!(req.wfile, "{n}: {line}")`, which `fmt` turns into several small writes, costs
//! one `send`: with Nagle's algorithm on, three sends per reply each waited for the
//! client's delayed ACK (24 round trips per second instead of 13,900).

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::socket_io::{SocketReader, SocketWriter};
use super::{Connection, RequestHandler};
use crate::{Address, ServerInfo};

/// One connection, shared by its reader and writer: the socket and the output not yet
/// sent.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) connection: Connection,
    /// The TLS session, on a TLS server: reads and writes go through it.
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsSession>,
    /// Whether a byte has come from the client yet: a connection that has none is not
    /// ended at the very start of a graceful stop (its request may be on its way).
    received: AtomicBool,
    pending: Mutex<Vec<u8>>,
    /// Output held before it is sent; 0 sends every write at once (Python's `wbufsize`).
    pub(super) wbufsize: usize,
}

impl Stream {
    pub(crate) fn new(connection: Connection, wbufsize: usize) -> Self {
        Stream {
            connection,
            #[cfg(feature = "tls")]
            tls: None,
            received: AtomicBool::new(false),
            pending: Mutex::new(Vec::new()),
            wbufsize,
        }
    }

    /// The stream of a TLS connection whose handshake is done.
    #[cfg(feature = "tls")]
    pub(crate) fn with_tls(mut self, session: crate::tls::TlsSession) -> Self {
        self.tls = Some(session);
        self
    }

    /// The TLS session's details, on a TLS connection.
    #[cfg(feature = "tls")]
    pub(crate) fn tls_info(&self) -> Option<&crate::tls::TlsInfo> {
        self.tls.as_ref().map(crate::tls::TlsSession::info)
    }

    /// Whether bytes written to the socket itself reach the client as they are (no TLS
    /// in between): a file can then be sent without copying it through user space.
    pub(crate) fn is_plain(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_none();
        #[cfg(not(feature = "tls"))]
        return true;
    }

    /// Reads into the spare capacity of `buf`, at most `max` bytes, through TLS if any.
    pub(super) fn read_into(&self, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return tls.read(&self.connection, buf, max);
        }
        crate::sys::read_into_spare(self.connection.as_raw_fd(), buf, max)
    }

    /// Writes every slice, in order, through TLS if any.
    pub(super) fn write_slices(&self, slices: &[&[u8]]) -> io::Result<()> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return tls.write_all(&self.connection, slices);
        }
        write_all_slices(&self.connection, slices)
    }

    /// Ends what this side sends: TLS's close_notify, then the socket's write half.
    pub(crate) fn end_writes(&self) {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            tls.close(&self.connection);
        }
        // ENOTCONN when the client already went away: nothing to report.
        let _ = self.connection.shutdown(std::net::Shutdown::Write);
    }

    /// Whether the client has sent anything yet.
    pub(crate) fn has_received(&self) -> bool {
        self.received.load(Ordering::Relaxed)
    }

    /// A read brought bytes from the client (checked first: the flag is written once).
    pub(super) fn mark_received(&self) {
        if !self.received.load(Ordering::Relaxed) {
            self.received.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn pending(&self) -> MutexGuard<'_, Vec<u8>> {
        // A Vec of bytes is never left half-changed by a panic.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends the pending output.
    pub(crate) fn flush(&self) -> io::Result<()> {
        let mut pending = self.pending();
        if pending.is_empty() {
            return Ok(());
        }
        let sent = self.write_slices(&[&pending]);
        sent_out(&mut pending);
        sent
    }

    /// Sends `data` now, after what `wfile` holds: for another thread that writes to this
    /// connection (a relay's writer). The lock keeps the two from interleaving bytes.
    pub(crate) fn send(&self, data: &[u8]) -> io::Result<()> {
        let mut pending = self.pending();
        let sent = self.write_slices(&[&pending, data]);
        sent_out(&mut pending);
        sent
    }

    /// `wfile`'s write: collects what fits, or sends what is pending and `data` at once.
    pub(super) fn write(&self, data: &[&[u8]]) -> io::Result<()> {
        let mut pending = self.pending();
        let len: usize = data.iter().map(|d| d.len()).sum();
        if pending.len() + len <= self.wbufsize {
            for piece in data {
                pending.extend_from_slice(piece);
            }
            return Ok(());
        }
        // Too much to hold: send what is pending and this in one call.
        let mut slices = Vec::with_capacity(data.len() + 1);
        slices.push(&pending[..]);
        slices.extend_from_slice(data);
        let sent = self.write_slices(&slices);
        drop(slices);
        sent_out(&mut pending);
        sent
    }
}

/// The most output buffer a connection keeps between replies: a buffer that held a
/// small reply is reused by the next one (no allocation per reply), one that grew for a
/// large reply is freed (an idle connection holds little).
const KEPT_BUFFER: usize = 4096;

/// Empties `pending` once it has been sent.
pub(super) fn sent_out(pending: &mut Vec<u8>) {
    if pending.capacity() > KEPT_BUFFER {
        *pending = Vec::new();
    } else {
        pending.clear();
    }
}

/// Writes every slice, in order, with as few `writev` calls as the socket allows.
fn write_all_slices(mut to: &Connection, slices: &[&[u8]]) -> io::Result<()> {
    let mut bufs: Vec<io::IoSlice<'_>> = slices
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| io::IoSlice::new(s))
        .collect();
    let mut bufs = &mut bufs[..];
    while !bufs.is_empty() {
        match to.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut bufs, n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

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
