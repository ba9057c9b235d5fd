//! [`Connection`]: a connected stream socket, TCP or Unix (Python's `request`).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

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

/// Calls `$body` with the stream inside a [`Connection`], whichever it is.
macro_rules! with_stream {
    ($connection:expr, $s:ident => $body:expr) => {
        match $connection {
            Connection::Tcp($s) => $body,
            #[cfg(unix)]
            Connection::Unix($s) => $body,
        }
    };
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
        with_stream!(self, s => s.set_read_timeout(timeout))
    }

    /// Sets the write timeout (`None` blocks forever).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        with_stream!(self, s => s.set_write_timeout(timeout))
    }

    /// Shuts down the read half, the write half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        with_stream!(self, s => s.shutdown(how))
    }

    /// A second handle to the same socket (`dup`), for another thread to write to it.
    pub fn try_clone(&self) -> io::Result<Connection> {
        match self {
            Connection::Tcp(s) => s.try_clone().map(Connection::Tcp),
            #[cfg(unix)]
            Connection::Unix(s) => s.try_clone().map(Connection::Unix),
        }
    }

    /// Sets blocking or non-blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        with_stream!(self, s => s.set_nonblocking(nonblocking))
    }
}

#[cfg(unix)]
impl AsRawFd for Connection {
    fn as_raw_fd(&self) -> RawFd {
        with_stream!(self, s => s.as_raw_fd())
    }
}

impl Read for &Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        with_stream!(*self, s => (&*s).read(buf))
    }
}

impl Write for &Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        with_stream!(*self, s => (&*s).write(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        with_stream!(*self, s => (&*s).write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
