//! [`ChunkedWriter`]: encoding a response body whose length is not known up front.

use std::io::{self, IoSlice, Write};

/// Writes a body with the chunked coding: each `write` is one chunk (`SIZE\r\n`, the
/// bytes, `\r\n`, handed to the inner writer as one vectored write, so a socket sends it
/// in one piece), an empty write sends nothing, and [`finish`](Self::finish) sends the
/// last chunk `0\r\n\r\n`.
///
/// Dropped without `finish`, the body has no last chunk: the client sees it was cut
/// short, which is right when a handler gives up halfway. After an error of the inner
/// writer the chunk boundaries are lost, so every later write fails too.
#[derive(Debug)]
pub(crate) struct ChunkedWriter<W: Write> {
    pub(super) inner: W,
    broken: bool,
}

impl<W: Write> ChunkedWriter<W> {
    /// Encodes what is written into `inner`.
    pub(crate) fn new(inner: W) -> Self {
        ChunkedWriter {
            inner,
            broken: false,
        }
    }

    /// Writes the last chunk (no trailers), flushes, and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.check_broken()?;
        self.inner.write_all(b"0\r\n\r\n")?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// The inner writer.
    pub(crate) fn get_ref(&self) -> &W {
        &self.inner
    }

    fn check_broken(&self) -> io::Result<()> {
        if self.broken {
            Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "chunked body: an earlier write failed",
            ))
        } else {
            Ok(())
        }
    }

    /// Writes one chunk holding all of `data` (`len` bytes, not zero).
    fn write_chunk(&mut self, data: &[IoSlice<'_>], len: usize) -> io::Result<()> {
        self.check_broken()?;
        // 16 hex digits and CRLF: the longest size line a 64-bit length needs.
        let mut header = [0u8; 18];
        let header_len = {
            let mut cursor = &mut header[..];
            write!(cursor, "{len:x}\r\n")?;
            18 - cursor.len()
        };
        let mut slices = Vec::with_capacity(data.len() + 2);
        slices.push(IoSlice::new(&header[..header_len]));
        slices.extend(data.iter().map(|slice| IoSlice::new(slice)));
        slices.push(IoSlice::new(b"\r\n"));
        let written = write_all_vectored(&mut self.inner, &mut slices);
        if written.is_err() {
            self.broken = true;
        }
        written
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            // An empty chunk would be the last chunk: it must come from `finish` only.
            return Ok(0);
        }
        self.write_chunk(&[IoSlice::new(buf)], buf.len())?;
        Ok(buf.len())
    }

    /// All the buffers become one chunk.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        if len == 0 {
            return Ok(0);
        }
        self.write_chunk(bufs, len)?;
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `Write::write_all` for several buffers (the same as the one in `multipart.rs`): one
/// call to the inner writer in the usual case, more after short writes.
fn write_all_vectored(w: &mut impl Write, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
