//! [`UnixStreamServer`] and [`UnixDatagramServer`]: Python's Unix-domain servers, bound to
//! a filesystem path.
//!
//! Unlike Python, a server removes the socket file it created when it is closed.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::{Path, PathBuf};

use socket2::{Domain, SockAddr, Socket, Type};

use super::kind::{DatagramIncoming, DatagramReceiver, SocketKind, StreamIncoming};
use super::{BaseServer, ServerBuilder};
use crate::handler::datagram::DatagramSocket;
use crate::{Address, Connection, DatagramRequest, RequestHandler, Result, StreamRequest};

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

fn bind_unix(path: &Path, ty: Type, backlog: Option<i32>) -> io::Result<Socket> {
    let socket = Socket::new(Domain::UNIX, ty, None)?;
    socket.bind(&SockAddr::unix(path)?)?;
    if let Some(backlog) = backlog {
        socket.listen(backlog)?;
    }
    Ok(socket)
}

/// The Unix stream socket kind: a listening socket bound to a path.
#[derive(Debug)]
pub struct UnixStream {
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
pub type UnixStreamServer<H> = BaseServer<UnixStream, H>;

impl SocketKind for UnixStream {
    type Addr = SocketAddr;
    type Request = StreamRequest;
    type Incoming = StreamIncoming;

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
        Ok(StreamIncoming {
            connection: Connection::Unix(stream),
            client_address: Address::Unix(addr),
        })
    }

    fn raw_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }
}

impl<H: RequestHandler<StreamRequest>> UnixStreamServer<H> {
    /// Binds to `path` (which must not exist yet) and listens.
    pub fn bind<P: AsRef<Path>, F>(path: P, factory: F) -> Result<Self>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().bind(path, factory)
    }

    /// Serves on a listener that is already bound and listening. Its socket file is left
    /// in place when the server closes.
    pub fn from_listener<F>(listener: net::UnixListener, factory: F) -> Result<Self>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().from_listener(listener, factory)
    }
}

impl<H: RequestHandler<StreamRequest>> ServerBuilder<UnixStream, H> {
    /// Binds to `path` and listens with this builder's backlog.
    pub fn bind<P, F>(self, path: P, factory: F) -> Result<UnixStreamServer<H>>
    where
        P: AsRef<Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let path = path.as_ref();
        let socket = bind_unix(path, Type::STREAM, Some(self.socket.request_queue_size))?;
        let owned = OwnedPath(Some(path.to_owned()));
        self.adopt(socket.into(), owned, factory)
    }

    /// Serves on an existing listener.
    pub fn from_listener<F>(
        self,
        listener: net::UnixListener,
        factory: F,
    ) -> Result<UnixStreamServer<H>>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        self.adopt(listener, OwnedPath(None), factory)
    }

    fn adopt<F>(
        self,
        listener: net::UnixListener,
        path: OwnedPath,
        factory: F,
    ) -> Result<UnixStreamServer<H>>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        listener.set_nonblocking(true)?;
        let kind = UnixStream {
            listener,
            _path: path,
        };
        BaseServer::new(kind, factory, self)
    }
}

/// The Unix datagram socket kind: a datagram socket bound to a path.
#[derive(Debug)]
pub struct UnixDatagram {
    receiver: DatagramReceiver,
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
pub type UnixDatagramServer<H> = BaseServer<UnixDatagram, H>;

impl SocketKind for UnixDatagram {
    type Addr = SocketAddr;
    type Request = DatagramRequest;
    type Incoming = DatagramIncoming;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr.clone())
    }

    fn address(&self) -> io::Result<Address> {
        Ok(Address::Unix(self.local_addr.clone()))
    }

    fn accept(&self) -> io::Result<DatagramIncoming> {
        self.receiver.receive()
    }

    fn raw_fd(&self) -> RawFd {
        self.receiver.socket.raw_fd()
    }
}

impl<H: RequestHandler<DatagramRequest>> UnixDatagramServer<H> {
    /// Binds to `path` (which must not exist yet).
    pub fn bind<P: AsRef<Path>, F>(path: P, factory: F) -> Result<Self>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().bind(path, factory)
    }
}

impl<H: RequestHandler<DatagramRequest>> ServerBuilder<UnixDatagram, H> {
    /// Binds to `path` with this builder's options.
    pub fn bind<P, F>(self, path: P, factory: F) -> Result<UnixDatagramServer<H>>
    where
        P: AsRef<Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let path = path.as_ref();
        let socket = bind_unix(path, Type::DGRAM, None)?;
        let owned = OwnedPath(Some(path.to_owned()));
        let socket: net::UnixDatagram = socket.into();
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let receiver = DatagramReceiver::new(DatagramSocket::Unix(socket), self.max_packet_size);
        let kind = UnixDatagram {
            receiver,
            local_addr,
            _path: owned,
        };
        BaseServer::new(kind, factory, self)
    }
}
