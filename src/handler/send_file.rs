//! Sending a file on a stream connection (the HTTP file server's bodies): `sendfile` on a
//! plain socket, the head and a small file in one write, through the session on TLS.

use std::io::{self, Read};
use std::os::fd::AsRawFd;

use super::socket_io::{sent_out, Stream};
use super::Connection;

impl Stream {
    /// Sends `len` bytes of `file` from its current position, after what `wfile` holds.
    ///
    /// On a plain socket, a file larger than [`SMALL_FILE`] goes out by `sendfile` (on
    /// Linux; `std::io::copy` elsewhere): the bytes never pass through user space. A small file is read into the pending output
    /// and sent with the head in one `writev` (one packet instead of two). Through TLS
    /// the bytes must be encrypted, so they are read into a buffer and written through
    /// the session. A file that ends before `len` bytes is an `UnexpectedEof` error.
    #[cfg(feature = "http")]
    pub(crate) fn send_file(&self, file: &std::fs::File, len: u64) -> io::Result<()> {
        let mut pending = self.pending();
        if len <= SMALL_FILE {
            let start = pending.len();
            let read = io::Read::take(file, len).read_to_end(&mut pending);
            let short = read.as_ref().is_ok_and(|&n| (n as u64) < len);
            if read.is_err() || short {
                pending.truncate(start);
                return Err(read.err().unwrap_or_else(|| file_ended(len)));
            }
            // Sent now or with what follows, as any write to wfile.
            if pending.len() <= self.wbufsize {
                return Ok(());
            }
            let sent = self.write_slices(&[&pending]);
            sent_out(&mut pending);
            return sent;
        }
        // Corked while the head and the file go out (nginx's `tcp_nopush`): with
        // TCP_NODELAY on, the head would leave as a packet of its own and each `sendfile`
        // woken by a little room in the send buffer as a short segment; corked, every
        // segment is full. Uncorking sends the rest.
        let _corked = self.is_plain().then(|| Cork::new(&self.connection));
        let flushed = if pending.is_empty() {
            Ok(())
        } else {
            self.write_slices(&[&pending])
        };
        sent_out(&mut pending);
        flushed?;
        let copied = if self.is_plain() {
            send_plain(&self.connection, file, len)?
        } else {
            let mut source = io::Read::take(file, len);
            let mut buf = vec![0; FILE_CHUNK.min(len as usize)];
            let mut copied = 0;
            loop {
                let n = match source.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                };
                self.write_slices(&[&buf[..n]])?;
                copied += n as u64;
            }
            copied
        };
        if copied < len {
            return Err(file_ended(len));
        }
        Ok(())
    }
}

/// Files up to this size are sent with the response head in one write (read, not
/// `sendfile`d): one packet, where `sendfile` would cost a second system call and a
/// second packet for a few bytes.
#[cfg(feature = "http")]
const SMALL_FILE: u64 = 16 * 1024;

/// `TCP_CORK` on a TCP connection while it lives (Linux; elsewhere, and on Unix-domain
/// connections, nothing). Failing to cork only costs fuller segments: it is not an error.
#[cfg(feature = "http")]
struct Cork<'a>(Option<socket2::SockRef<'a>>);

#[cfg(feature = "http")]
impl<'a> Cork<'a> {
    fn new(connection: &'a Connection) -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(tcp) = connection.as_tcp() {
            let socket = socket2::SockRef::from(tcp);
            if socket.set_tcp_cork(true).is_ok() {
                return Cork(Some(socket));
            }
        }
        let _ = connection;
        Cork(None)
    }
}

#[cfg(feature = "http")]
impl Drop for Cork<'_> {
    fn drop(&mut self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(socket) = &self.0 {
            if let Err(err) = socket.set_tcp_cork(false) {
                log::debug!("uncorking a connection after a file: {err}");
            }
        }
    }
}

/// The buffer a file is read through on a TLS connection.
#[cfg(feature = "http")]
const FILE_CHUNK: usize = 64 * 1024;

/// `len` bytes of `file` from its position to a plain socket: `sendfile` on Linux
/// (the file's position is moved past them, as a read would), `io::copy` elsewhere.
#[cfg(feature = "http")]
fn send_plain(connection: &Connection, file: &std::fs::File, len: u64) -> io::Result<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::io::Seek;
        let mut file = file;
        let start = file.stream_position()?;
        let sent = crate::sys::sendfile_all(connection.as_raw_fd(), file.as_raw_fd(), start, len)?;
        file.seek(io::SeekFrom::Start(start + sent))?;
        Ok(sent)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let mut source = io::Read::take(file, len);
        match connection {
            Connection::Tcp(stream) => io::copy(&mut source, &mut &*stream),
            Connection::Unix(stream) => io::copy(&mut source, &mut &*stream),
        }
    }
}

#[cfg(feature = "http")]
/// The error for a file that ended (it shrank) before `len` more bytes of it were sent.
pub(crate) fn file_ended(len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the file ended before its {len} bytes were sent (it shrank)"),
    )
}
