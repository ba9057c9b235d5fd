//! [`UdpServer`]: Python's `UDPServer`, a UDP socket whose requests are datagrams.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
#[cfg(unix)]
use std::os::fd::RawFd;

use socket2::Type;

use super::kind::{DatagramIncoming, DatagramReceiver, SocketKind};
use super::socket::bind_inet;
use super::{BaseServer, ServerBuilder};
use crate::handler::datagram::DatagramSocket;
use crate::{Address, DatagramRequest, RequestHandler, Result};

/// The UDP socket kind.
#[derive(Debug)]
pub struct Udp {
    receiver: DatagramReceiver,
    local_addr: SocketAddr,
}

/// A UDP server (Python's `UDPServer`): one request per datagram, handled by a
/// [`DatagramHandler`](crate::DatagramHandler).
///
/// ```
/// use socketserver::{DatagramRequest, UdpServer};
///
/// let server = UdpServer::bind("127.0.0.1:0", || {
///     |req: &mut DatagramRequest| {
///         req.wfile = req.packet().to_vec(); // echo
///         Ok(())
///     }
/// })?;
/// let client = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// client.send_to(b"ping", server.local_addr()?)?;
/// server.handle_request()?;
/// let mut buf = [0; 16];
/// let (n, _) = client.recv_from(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok::<(), socketserver::Error>(())
/// ```
pub type UdpServer<H> = BaseServer<Udp, H>;

impl SocketKind for Udp {
    type Addr = SocketAddr;
    type Request = DatagramRequest;
    type Incoming = DatagramIncoming;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }

    fn address(&self) -> io::Result<Address> {
        Ok(Address::Inet(self.local_addr))
    }

    fn accept(&self) -> io::Result<DatagramIncoming> {
        self.receiver.receive()
    }

    #[cfg(unix)]
    fn raw_fd(&self) -> RawFd {
        self.receiver.socket.raw_fd()
    }
}

impl<H: RequestHandler<DatagramRequest>> UdpServer<H> {
    /// Binds a UDP server to `addr` with the default options. `factory` makes one
    /// handler per datagram.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().bind(addr, factory)
    }

    /// Serves on a socket that is already bound.
    pub fn from_socket<F>(socket: UdpSocket, factory: F) -> Result<Self>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().from_socket(socket, factory)
    }
}

impl<H: RequestHandler<DatagramRequest>> ServerBuilder<Udp, H> {
    /// Binds with this builder's options.
    pub fn bind<A, F>(self, addr: A, factory: F) -> Result<UdpServer<H>>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let socket = bind_inet(addr, Type::DGRAM, &self.socket)?;
        self.from_socket(socket.into(), factory)
    }

    /// Serves on an existing socket; socket options of this builder are not applied.
    pub fn from_socket<F>(self, socket: UdpSocket, factory: F) -> Result<UdpServer<H>>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let receiver = DatagramReceiver::new(DatagramSocket::Udp(socket), self.max_packet_size);
        BaseServer::new(
            Udp {
                receiver,
                local_addr,
            },
            factory,
            self,
        )
    }
}
