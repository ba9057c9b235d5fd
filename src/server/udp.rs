//! [`UdpServer`]: Python's `UDPServer`, a UDP socket whose requests are datagrams.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::fd::{OwnedFd, RawFd};

use socket2::Type;

use super::datagrams::{self, DatagramIncoming};
use super::kind::{check_adopted, BindTo, DatagramOptionsOf, Kind, RequestContext};
use super::options::{DatagramOptions, SocketOptions};
use super::socket::bind_inet;
use super::{Iterative, Server};
use crate::handler::DatagramReceiver;
use crate::handler::DatagramSocket;
use crate::{Address, DatagramRequest, Error, Result};

/// The UDP socket kind: requests are datagrams.
#[derive(Debug)]
pub struct Udp {
    receiver: std::sync::Arc<DatagramReceiver>,
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
pub type UdpServer<H> = Server<Udp, Iterative, H>;

impl Udp {
    fn new(socket: UdpSocket, options: &DatagramOptions) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let receiver = DatagramReceiver::new(DatagramSocket::Udp(socket), options.max_packet_size);
        Ok(Udp {
            receiver,
            local_addr,
        })
    }
}

impl Kind for Udp {
    type Addr = SocketAddr;
    type Request = DatagramRequest;
    type Incoming = DatagramIncoming;
    type Options = DatagramOptions;
    const REUSE_ADDRESS: bool = false;
    const LISTENS: bool = false;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }

    fn address(&self) -> io::Result<Address> {
        Ok(Address::Inet(self.local_addr))
    }

    fn accept(&self) -> io::Result<DatagramIncoming> {
        datagrams::receive(&self.receiver)
    }

    fn raw_fd(&self) -> RawFd {
        self.receiver.socket.raw_fd()
    }

    fn adopt(fd: OwnedFd, options: &DatagramOptions) -> io::Result<Self> {
        check_adopted(&fd, libc::SOCK_DGRAM, &[libc::AF_INET, libc::AF_INET6])?;
        Udp::new(UdpSocket::from(fd), options)
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

impl DatagramOptionsOf for Udp {
    fn datagram_options(options: &mut DatagramOptions) -> &mut DatagramOptions {
        options
    }
}

impl<A: ToSocketAddrs> BindTo<A> for Udp {
    fn bind_to(addr: A, socket: &SocketOptions, options: &DatagramOptions) -> Result<Self> {
        let reuse = socket.allow_reuse_address.unwrap_or(Self::REUSE_ADDRESS);
        let bound = bind_inet(addr, Type::DGRAM, socket, reuse)?;
        Ok(Udp::new(bound.into(), options)?)
    }
}
