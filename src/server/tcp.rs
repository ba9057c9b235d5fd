//! [`TcpServer`]: Python's `TCPServer`, a listening TCP socket whose requests are
//! connections.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
#[cfg(unix)]
use std::os::fd::{AsRawFd, RawFd};

use socket2::Type;

use super::kind::{SocketKind, StreamIncoming};
use super::socket::bind_inet;
use super::{BaseServer, ServerBuilder};
use crate::{Address, Connection, RequestHandler, Result, StreamRequest};

/// The TCP socket kind: a listening socket.
#[derive(Debug)]
pub struct Tcp {
    listener: TcpListener,
}

/// A TCP server (Python's `TCPServer`): one request per connection, handled by a
/// [`StreamHandler`](crate::StreamHandler).
///
/// ```
/// use socketserver::{StreamRequest, TcpServer};
/// use std::io::{Read, Write};
///
/// let server = TcpServer::bind("127.0.0.1:0", || {
///     |req: &mut StreamRequest| req.wfile.write_all(b"Server Saying Hi\n")
/// })?;
/// let addr = server.local_addr()?;
/// let client = std::thread::spawn(move || {
///     let mut reply = String::new();
///     std::net::TcpStream::connect(addr)?.read_to_string(&mut reply)?;
///     Ok::<_, std::io::Error>(reply)
/// });
/// server.handle_request()?; // serve exactly one client
/// assert_eq!(client.join().unwrap()?, "Server Saying Hi\n");
/// # Ok::<(), socketserver::Error>(())
/// ```
pub type TcpServer<H> = BaseServer<Tcp, H>;

impl SocketKind for Tcp {
    type Addr = SocketAddr;
    type Request = StreamRequest;
    type Incoming = StreamIncoming;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    fn address(&self) -> io::Result<Address> {
        self.listener.local_addr().map(Address::Inet)
    }

    fn accept(&self) -> io::Result<StreamIncoming> {
        let (stream, addr) = self.listener.accept()?;
        // BSDs hand out connections with the listener's O_NONBLOCK; handlers block.
        #[cfg(not(target_os = "linux"))]
        stream.set_nonblocking(false)?;
        Ok(StreamIncoming {
            connection: Connection::Tcp(stream),
            client_address: Address::Inet(addr),
        })
    }

    #[cfg(unix)]
    fn raw_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }
}

impl<H: RequestHandler<StreamRequest>> TcpServer<H> {
    /// Binds a TCP server to `addr` (IPv4 or IPv6; port 0 picks a free port) with the
    /// default options. `factory` makes one handler per connection.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().bind(addr, factory)
    }

    /// Serves on a listener that is already bound and listening (socket activation:
    /// `TcpListener::from(OwnedFd)` on a descriptor the service manager passed).
    pub fn from_listener<F>(listener: TcpListener, factory: F) -> Result<Self>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().from_listener(listener, factory)
    }
}

impl<H: RequestHandler<StreamRequest>> ServerBuilder<Tcp, H> {
    /// Binds and listens with this builder's options.
    pub fn bind<A, F>(self, addr: A, factory: F) -> Result<TcpServer<H>>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let socket = bind_inet(addr, Type::STREAM, &self.socket)?;
        self.from_listener(socket.into(), factory)
    }

    /// Serves on an existing listener; socket options of this builder are not applied.
    pub fn from_listener<F>(self, listener: TcpListener, factory: F) -> Result<TcpServer<H>>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        listener.set_nonblocking(true)?;
        BaseServer::new(Tcp { listener }, factory, self)
    }
}
