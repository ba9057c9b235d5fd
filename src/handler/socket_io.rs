//! `rfile` and `wfile` of a stream request: the buffered reader [`SocketReader`] and the
//! coalescing writer [`SocketWriter`] (Python's `socket.makefile` objects), both over the
//! connection's shared [`Stream`].

use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use super::stream::Stream;

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
