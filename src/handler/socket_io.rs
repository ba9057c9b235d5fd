//! A stream connection's I/O: [`Stream`], the socket (and TLS session) that `rfile` and
//! `wfile` share with the output not yet sent, the buffered reader [`SocketReader`] and
//! the coalescing writer [`SocketWriter`] (Python's `socket.makefile` objects).
//!
//! `wfile` collects what a handler writes and sends it in one piece when the handler next
//! waits for input (`rfile` needs more bytes), finishes, flushes, or fills the buffer. So
//! `write!(req.wfile, "{n}: {line}")`, which `fmt` turns into several small writes, costs
//! one `send`: with Nagle's algorithm on, three sends per reply each waited for the
//! client's delayed ACK (24 round trips per second instead of 13,900).

use std::io::{self, BufRead, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::Connection;

/// One connection, shared by its reader and writer: the socket and the output not yet
/// sent.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) connection: Connection,
    /// The TLS session, on a TLS server: reads and writes go through it. Boxed: rustls'
    /// state is kilobytes, which a plain connection should not carry in its `Stream`
    /// (heap) nor copy through its thread's stack while it is set up.
    #[cfg(feature = "tls")]
    tls: Option<Box<crate::tls::TlsSession>>,
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
    pub(crate) fn with_tls(mut self, session: Box<crate::tls::TlsSession>) -> Self {
        self.tls = Some(session);
        self
    }

    /// The TLS session's details, on a TLS connection.
    #[cfg(feature = "tls")]
    pub(crate) fn tls_info(&self) -> Option<&crate::tls::TlsInfo> {
        self.tls.as_deref().map(crate::tls::TlsSession::info)
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
        // Too much to hold: send what is pending and this in one call (`write_all` gives
        // one slice: no list to allocate for it).
        let sent = if let [piece] = data {
            self.write_slices(&[&pending[..], piece])
        } else {
            let mut slices = Vec::with_capacity(data.len() + 1);
            slices.push(&pending[..]);
            slices.extend_from_slice(data);
            self.write_slices(&slices)
        };
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

/// Slices up to this many are gathered on the stack (a reply is one or two: what `wfile`
/// held, and the write that did not fit): no allocation per reply.
const SLICES_ON_STACK: usize = 4;

/// Writes every slice, in order, with as few system calls as the socket allows: a plain
/// `write` for a single slice, `writev` for several.
fn write_all_slices(mut to: &Connection, slices: &[&[u8]]) -> io::Result<()> {
    let mut nonempty = slices.iter().filter(|s| !s.is_empty());
    let (Some(first), second) = (nonempty.next(), nonempty.next()) else {
        return Ok(());
    };
    if second.is_none() {
        return to.write_all(first);
    }
    let mut stack = [io::IoSlice::new(&[]); SLICES_ON_STACK];
    let mut heap;
    let mut bufs: &mut [io::IoSlice<'_>] = if slices.len() <= SLICES_ON_STACK {
        let mut n = 0;
        for slice in slices.iter().filter(|s| !s.is_empty()) {
            stack[n] = io::IoSlice::new(slice);
            n += 1;
        }
        &mut stack[..n]
    } else {
        heap = slices
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| io::IoSlice::new(s))
            .collect::<Vec<_>>();
        &mut heap[..]
    };
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

/// The buffered reader behind [`StreamRequest::rfile`](super::StreamRequest::rfile)
/// (Python's `rfile`): `BufRead`, so `read_line`, `lines` and `read_until` work.
///
/// Before it waits for the client, it sends what `wfile` holds: a reply is on its way
/// before the server waits for the next request. Its buffer is allocated but not filled
/// in advance, so an idle connection costs only the bytes it has received.
#[derive(Debug)]
pub struct SocketReader {
    stream: Arc<Stream>,
    buf: Vec<u8>,
    pos: usize,
    capacity: usize,
}

impl SocketReader {
    pub(super) fn new(stream: Arc<Stream>, rbufsize: usize) -> Self {
        SocketReader {
            stream,
            buf: Vec::new(),
            pos: 0,
            capacity: rbufsize.max(1),
        }
    }

    /// How many bytes are buffered and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }
}

impl Read for SocketReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // A large read with nothing buffered goes straight to the socket.
        if self.pos == self.buf.len() && out.len() >= self.capacity && self.stream.is_plain() {
            self.stream.flush()?;
            return (&self.stream.connection).read(out);
        }
        let n = self.fill_buf()?.read(out)?;
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SocketReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            self.stream.flush()?;
            self.buf.clear();
            self.pos = 0;
            if self.buf.capacity() < self.capacity {
                self.buf.reserve_exact(self.capacity);
            }
            loop {
                match self.stream.read_into(&mut self.buf, self.capacity) {
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    other => {
                        if other? > 0 {
                            self.stream.mark_received();
                        }
                        break;
                    }
                }
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.buf.len());
    }
}

/// The writer behind [`StreamRequest::wfile`](super::StreamRequest::wfile) (Python's `wfile`).
///
/// It collects what a handler writes and sends it in one piece when the handler next
/// waits for input (`rfile` needs more bytes), finishes, flushes, or has collected more
/// than the server's `wbufsize` (8 KiB by default). So `write!(req.wfile, "{n}: {line}")`,
/// which `fmt` turns into several small writes, costs one `send`. A handler that writes
/// and then waits for something other than its client (a timer, another thread) calls
/// `flush` first. With `wbufsize(0)`, every write is sent at once (Python's default).
#[derive(Debug)]
pub struct SocketWriter {
    stream: Arc<Stream>,
}

impl SocketWriter {
    pub(super) fn new(stream: Arc<Stream>) -> Self {
        SocketWriter { stream }
    }
}

#[cfg(feature = "http")]
impl SocketWriter {
    /// Sends `len` bytes of `file` from its current position, without copying them
    /// through user space where the socket allows it (see `Stream::send_file`).
    pub(crate) fn send_file(&mut self, file: &std::fs::File, len: u64) -> io::Result<()> {
        self.stream.send_file(file, len)
    }
}

impl Write for SocketWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.stream.write(&[data])?;
        Ok(data.len())
    }

    /// All of `bufs`, collected or sent in one call: a part's header, body and trailer
    /// never go out as separate small packets.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let slices: Vec<&[u8]> = bufs.iter().map(|b| &b[..]).collect();
        self.stream.write(&slices)?;
        Ok(slices.iter().map(|s| s.len()).sum())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}
