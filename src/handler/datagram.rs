//! Datagram requests (Python's `DatagramRequestHandler`): one received packet in `rfile`,
//! and a reply collected in `wfile` that is sent back to the client after `finish`.

use std::io::{self, Cursor};
use std::net::UdpSocket;
#[cfg(unix)]
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;

use super::DatagramReceiver;
use super::RequestHandler;
use crate::{Address, ServerInfo};

/// The server's datagram socket, shared by every request (Python's `self.socket`).
#[derive(Debug)]
#[non_exhaustive]
pub enum DatagramSocket {
    /// A UDP socket.
    Udp(UdpSocket),
    /// A Unix-domain datagram socket.
    #[cfg(unix)]
    Unix(UnixDatagram),
}

impl DatagramSocket {
    /// Sends `buf` as one datagram to `to`.
    ///
    /// The socket is non-blocking (the server's loop polls it), so a full send buffer is
    /// waited out here rather than reported as `WouldBlock`.
    pub fn send_to(&self, buf: &[u8], to: &Address) -> io::Result<usize> {
        loop {
            let sent = match (self, to) {
                (DatagramSocket::Udp(s), Address::Inet(addr)) => s.send_to(buf, addr),
                #[cfg(unix)]
                (DatagramSocket::Unix(s), Address::Unix(addr)) => match addr.as_pathname() {
                    Some(path) => s.send_to(buf, path),
                    None => Err(io::Error::new(
                        io::ErrorKind::AddrNotAvailable,
                        "the client's unix socket is unnamed: bind it to a path to get replies",
                    )),
                },
                #[cfg(unix)]
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "address family does not match the socket",
                )),
            };
            match sent {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    crate::sys::wait_fd(self.raw_fd(), libc::POLLOUT, -1)?;
                }
                other => return other,
            }
        }
    }

    /// Receives one datagram without blocking into `buf`, which it replaces; at most `max`
    /// bytes are kept (a longer datagram is cut to `max`).
    pub(crate) fn recv_into(&self, buf: &mut Vec<u8>, max: usize) -> io::Result<Address> {
        buf.clear();
        buf.reserve(max);
        match self {
            DatagramSocket::Udp(s) => {
                // Into the spare capacity: a reused buffer is never zero-filled first.
                let spare = &mut buf.spare_capacity_mut()[..max];
                let (n, from) = socket2::SockRef::from(s).recv_from(spare)?;
                // SAFETY: recv_from initialised the first `n` bytes of the spare capacity
                // (a datagram longer than it is cut, so n <= max).
                unsafe { buf.set_len(n.min(max)) };
                from.as_socket().map(Address::Inet).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "a datagram from a non-IP peer")
                })
            }
            #[cfg(unix)]
            DatagramSocket::Unix(s) => {
                // std's recv_from is the one that gives unnamed peers an address.
                buf.resize(max, 0);
                let received = s.recv_from(buf);
                let (n, from) = received.inspect_err(|_| buf.clear())?;
                buf.truncate(n);
                Ok(Address::Unix(from))
            }
        }
    }

    #[cfg(unix)]
    pub(crate) fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        match self {
            DatagramSocket::Udp(s) => s.as_raw_fd(),
            DatagramSocket::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// One received datagram, as a datagram handler sees it.
///
/// Read the packet from `rfile` (or [`packet`](Self::packet)); what the handler writes to
/// `wfile` is sent to the client as one datagram after `finish`. Unlike Python, nothing is
/// sent when `wfile` stays empty.
pub struct DatagramRequest {
    /// The received packet (Python's `rfile`).
    pub rfile: Cursor<Vec<u8>>,
    /// The reply, sent after `finish` when not empty (Python's `wfile`).
    pub wfile: Vec<u8>,
    /// Who sent the packet (Python's `client_address`).
    pub client_address: Address,
    receiver: Arc<DatagramReceiver>,
    server: Arc<ServerInfo>,
}

impl DatagramRequest {
    pub(crate) fn new(
        packet: Vec<u8>,
        reply: Vec<u8>,
        client_address: Address,
        receiver: Arc<DatagramReceiver>,
        server: Arc<ServerInfo>,
    ) -> Self {
        DatagramRequest {
            rfile: Cursor::new(packet),
            wfile: reply,
            client_address,
            receiver,
            server,
        }
    }

    /// The received packet.
    pub fn packet(&self) -> &[u8] {
        self.rfile.get_ref()
    }

    /// The server's socket, to send more than one datagram (Python's `request[1]`).
    pub fn socket(&self) -> &DatagramSocket {
        &self.receiver.socket
    }

    /// The server this request came to: its address and a shutdown handle.
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// Sends `wfile` to the client after the handler's `finish`.
    pub(crate) fn send_reply(&mut self) -> io::Result<()> {
        if self.wfile.is_empty() {
            return Ok(());
        }
        self.receiver
            .socket
            .send_to(&self.wfile, &self.client_address)?;
        Ok(())
    }

    /// Gives the packet's and the reply's buffers back for the next datagram.
    pub(crate) fn recycle(&mut self) {
        let packet = std::mem::take(self.rfile.get_mut());
        let reply = std::mem::take(&mut self.wfile);
        self.receiver.recycle(packet, reply);
    }
}

impl std::fmt::Debug for DatagramRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatagramRequest")
            .field("client_address", &self.client_address)
            .field("len", &self.packet().len())
            .finish_non_exhaustive()
    }
}

/// A handler for datagram servers (UDP and Unix datagram): Python's
/// `DatagramRequestHandler`.
///
/// ```
/// use socketserver::{DatagramHandler, DatagramRequest, UdpServer};
/// use std::io;
///
/// struct Upper;
/// impl DatagramHandler for Upper {
///     fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
///         req.wfile = req.packet().to_ascii_uppercase();
///         Ok(())
///     }
/// }
///
/// let server = UdpServer::bind("127.0.0.1:0", || Upper)?;
/// let client = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// client.send_to(b"hello", server.local_addr()?)?;
/// server.handle_request()?;
/// let mut buf = [0; 64];
/// let n = client.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"HELLO");
/// # Ok::<(), socketserver::Error>(())
/// ```
///
/// A closure `FnMut(&mut DatagramRequest) -> io::Result<()>` is a `DatagramHandler` too.
pub trait DatagramHandler: Send + 'static {
    /// Called before [`handle`](Self::handle).
    fn setup(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        let _ = request;
        Ok(())
    }

    /// Serves the datagram.
    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()>;

    /// Called after [`handle`](Self::handle), even when it failed; `wfile` is sent after it.
    fn finish(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        let _ = request;
        Ok(())
    }
}

impl<F> DatagramHandler for F
where
    F: FnMut(&mut DatagramRequest) -> io::Result<()> + Send + 'static,
{
    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        self(request)
    }
}

impl<T: DatagramHandler> RequestHandler<DatagramRequest> for T {
    fn setup(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        DatagramHandler::setup(self, request)
    }

    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        DatagramHandler::handle(self, request)
    }

    fn finish(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        DatagramHandler::finish(self, request)
    }
}
