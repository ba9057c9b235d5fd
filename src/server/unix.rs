//! [`UnixStreamServer`] and [`UnixDatagramServer`]: Python's Unix-domain servers, bound to
//! a filesystem path.
//!
//! Unlike Python, a server removes the socket file it created when it is closed.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::{Path, PathBuf};

use socket2::Type;

use super::datagrams::{self, DatagramIncoming};
use super::kind::{
    check_adopted, BindTo, DatagramOptionsOf, Kind, RequestContext, StreamOptionsOf,
};
use super::options::{DatagramOptions, SocketOptions, StreamOptions};
use super::socket::bind_unix;
use super::streams::{self, StreamIncoming};
use super::{Iterative, Server};
use crate::handler::DatagramReceiver;
use crate::handler::DatagramSocket;
use crate::{Address, Connection, DatagramRequest, Error, Result, StreamRequest};

/// Removes the socket file a server bound, when the server goes.
#[derive(Debug)]
struct OwnedPath(Option<PathBuf>);

impl Drop for OwnedPath {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The Unix stream socket kind: a listening socket bound to a path.
#[derive(Debug)]
pub struct Unix {
    listener: net::UnixListener,
    _path: OwnedPath,
}

/// A Unix-domain stream server (Python's `UnixStreamServer`), handled by a
/// [`StreamHandler`](crate::StreamHandler), the same as a TCP server's.
///
/// ```
/// use socketserver::{StreamRequest, UnixStreamServer};
/// use std::io::{BufRead, Write};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("echo.sock");
/// let server = UnixStreamServer::bind(&path, || {
///     |req: &mut StreamRequest| {
///         let mut line = String::new();
///         req.rfile.read_line(&mut line)?;
///         req.wfile.write_all(line.as_bytes())
///     }
/// })?;
/// let mut client = std::os::unix::net::UnixStream::connect(&path)?;
/// client.write_all(b"hello\n")?;
/// server.handle_request()?;
/// let mut reply = String::new();
/// std::io::BufReader::new(client).read_line(&mut reply)?;
/// assert_eq!(reply, "hello\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type UnixStreamServer<H> = Server<Unix, Iterative, H>;

impl Kind for Unix {
    type Addr = SocketAddr;
    type Request = StreamRequest;
    type Incoming = StreamIncoming;
    type Options = StreamOptions;
    const REUSE_ADDRESS: bool = false;
    const LISTENS: bool = true;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    fn address(&self) -> io::Result<Address> {
        self.listener.local_addr().map(Address::Unix)
    }

    fn accept(&self) -> io::Result<StreamIncoming> {
        let (stream, addr) = self.listener.accept()?;
        #[cfg(not(target_os = "linux"))]
        stream.set_nonblocking(false)?;
        Ok(StreamIncoming::new(
            Connection::Unix(stream),
            Address::Unix(addr),
        ))
    }

    fn raw_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    /// An adopted socket's file is left in place when the server closes.
    fn adopt(fd: OwnedFd, _: &StreamOptions) -> io::Result<Self> {
        check_adopted(&fd, libc::SOCK_STREAM, &[libc::AF_UNIX])?;
        let listener = net::UnixListener::from(fd);
        listener.set_nonblocking(true)?;
        Ok(Unix {
            listener,
            _path: OwnedPath(None),
        })
    }

    fn client_address(incoming: &StreamIncoming) -> &Address {
        &incoming.client_address
    }

    fn connection_fd(incoming: &StreamIncoming) -> Option<RawFd> {
        Some(incoming.fd())
    }

    fn open(
        incoming: StreamIncoming,
        context: &RequestContext<StreamOptions>,
    ) -> Result<StreamRequest> {
        incoming.open(context)
    }

    fn end(
        request: StreamRequest,
        context: &RequestContext<StreamOptions>,
        report: &mut dyn FnMut(Error),
    ) {
        streams::end(request, context, report);
    }

    fn refuse(incoming: StreamIncoming) {
        incoming.refuse();
    }

    fn has_preamble(options: &StreamOptions) -> bool {
        StreamIncoming::has_preamble(options)
    }

    fn preamble(incoming: &mut StreamIncoming, options: &StreamOptions) -> Result<()> {
        incoming.read_preamble(options)
    }
}

impl StreamOptionsOf for Unix {
    fn stream_options(options: &mut StreamOptions) -> &mut StreamOptions {
        options
    }
}

impl<P: AsRef<Path>> BindTo<P> for Unix {
    fn bind_to(path: P, socket: &SocketOptions, _: &StreamOptions) -> Result<Self> {
        let path = path.as_ref();
        let listener: net::UnixListener = bind_unix(path, Type::STREAM, socket)?.into();
        let owned = OwnedPath(Some(path.to_owned()));
        listener.set_nonblocking(true)?;
        Ok(Unix {
            listener,
            _path: owned,
        })
    }
}

/// The Unix datagram socket kind: a datagram socket bound to a path.
#[derive(Debug)]
pub struct UnixDgram {
    receiver: std::sync::Arc<DatagramReceiver>,
    local_addr: SocketAddr,
    _path: OwnedPath,
}

/// A Unix-domain datagram server (Python's `UnixDatagramServer`), handled by a
/// [`DatagramHandler`](crate::DatagramHandler). To get replies, a client binds its own
/// socket to a path.
///
/// ```
/// use socketserver::{DatagramRequest, UnixDatagramServer};
///
/// let dir = tempfile::tempdir()?;
/// let server = UnixDatagramServer::bind(dir.path().join("server.sock"), || {
///     |req: &mut DatagramRequest| {
///         req.wfile = req.packet().to_ascii_uppercase();
///         Ok(())
///     }
/// })?;
/// let client = std::os::unix::net::UnixDatagram::bind(dir.path().join("client.sock"))?;
/// client.send_to(b"hi", dir.path().join("server.sock"))?;
/// server.handle_request()?;
/// let mut buf = [0; 8];
/// let n = client.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"HI");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type UnixDatagramServer<H> = Server<UnixDgram, Iterative, H>;

impl UnixDgram {
    fn new(
        socket: net::UnixDatagram,
        path: OwnedPath,
        options: &DatagramOptions,
    ) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let receiver = DatagramReceiver::new(DatagramSocket::Unix(socket), options.max_packet_size);
        Ok(UnixDgram {
            receiver,
            local_addr,
            _path: path,
        })
    }
}

impl Kind for UnixDgram {
    type Addr = SocketAddr;
    type Request = DatagramRequest;
    type Incoming = DatagramIncoming;
    type Options = DatagramOptions;
    const REUSE_ADDRESS: bool = false;
    const LISTENS: bool = false;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr.clone())
    }

    fn address(&self) -> io::Result<Address> {
        Ok(Address::Unix(self.local_addr.clone()))
    }

    fn accept(&self) -> io::Result<DatagramIncoming> {
        datagrams::receive(&self.receiver)
    }

    fn raw_fd(&self) -> RawFd {
        self.receiver.socket.raw_fd()
    }

    fn adopt(fd: OwnedFd, options: &DatagramOptions) -> io::Result<Self> {
        check_adopted(&fd, libc::SOCK_DGRAM, &[libc::AF_UNIX])?;
        UnixDgram::new(net::UnixDatagram::from(fd), OwnedPath(None), options)
    }

    fn client_address(incoming: &DatagramIncoming) -> &Address {
        &incoming.client_address
    }

    fn connection_fd(_: &DatagramIncoming) -> Option<RawFd> {
        None
    }

    fn open(
        incoming: DatagramIncoming,
        context: &RequestContext<DatagramOptions>,
    ) -> Result<DatagramRequest> {
        incoming.open(context)
    }

    fn end(
        request: DatagramRequest,
        _: &RequestContext<DatagramOptions>,
        report: &mut dyn FnMut(Error),
    ) {
        datagrams::end(request, report);
    }

    fn refuse(_: DatagramIncoming) {}
}

impl DatagramOptionsOf for UnixDgram {
    fn datagram_options(options: &mut DatagramOptions) -> &mut DatagramOptions {
        options
    }
}

impl<P: AsRef<Path>> BindTo<P> for UnixDgram {
    fn bind_to(path: P, socket: &SocketOptions, options: &DatagramOptions) -> Result<Self> {
        let path = path.as_ref();
        let bound: net::UnixDatagram = bind_unix(path, Type::DGRAM, socket)?.into();
        let owned = OwnedPath(Some(path.to_owned()));
        Ok(UnixDgram::new(bound, owned, options)?)
    }
}
