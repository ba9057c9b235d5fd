//! [`TcpServer`]: Python's `TCPServer`, a listening TCP socket whose requests are
//! connections.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use socket2::Type;

use super::kind::{check_adopted, BindTo, Kind, RequestContext, StreamOptionsOf};
use super::options::{SocketOptions, StreamOptions};
use super::socket::bind_inet;
use super::streams::{self, StreamIncoming};
use super::{Iterative, Server};
use crate::{Address, Connection, Error, Result, StreamRequest};

/// The TCP socket kind: a listening socket whose requests are connections.
#[derive(Debug)]
pub struct Tcp {
    listener: TcpListener,
}

/// A TCP server (Python's `TCPServer`): one request per connection, handled by a
/// [`StreamHandler`](crate::StreamHandler), one at a time on the serving thread.
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
pub type TcpServer<H> = Server<Tcp, Iterative, H>;

impl Tcp {
    /// The listening socket (the event loop binds siblings of it).
    pub(crate) fn listener(&self) -> &TcpListener {
        &self.listener
    }
}

impl Kind for Tcp {
    type Addr = SocketAddr;
    type Request = StreamRequest;
    type Incoming = StreamIncoming;
    type Options = StreamOptions;
    const REUSE_ADDRESS: bool = true;
    const LISTENS: bool = true;

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
        Ok(StreamIncoming::new(
            Connection::Tcp(stream),
            Address::Inet(addr),
        ))
    }

    fn raw_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    fn adopt(fd: OwnedFd, _: &StreamOptions) -> io::Result<Self> {
        check_adopted(&fd, libc::SOCK_STREAM, &[libc::AF_INET, libc::AF_INET6])?;
        let listener = TcpListener::from(fd);
        listener.set_nonblocking(true)?;
        Ok(Tcp { listener })
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

impl StreamOptionsOf for Tcp {
    fn stream_options(options: &mut StreamOptions) -> &mut StreamOptions {
        options
    }
}

impl<A: ToSocketAddrs> BindTo<A> for Tcp {
    fn bind_to(addr: A, socket: &SocketOptions, _: &StreamOptions) -> Result<Self> {
        let reuse = socket.allow_reuse_address.unwrap_or(Self::REUSE_ADDRESS);
        let socket = bind_inet(addr, Type::STREAM, socket, reuse)?;
        let listener: TcpListener = socket.into();
        listener.set_nonblocking(true).map_err(Error::Io)?;
        Ok(Tcp { listener })
    }
}
