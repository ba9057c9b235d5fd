//! [`SocketKind`]: what differs between TCP, UDP and Unix servers (Python's `TCPServer`,
//! `UDPServer` and their Unix subclasses): how a request is received, what handlers get,
//! and how the request is closed. The loop in `base.rs` is the same for all of them.

use std::io;
use std::net::Shutdown;
#[cfg(unix)]
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, PoisonError};

use super::connections::Connections;
use super::ServerInfo;
use crate::handler::datagram::DatagramSocket;
use crate::handler::stream::StreamOptions;
use crate::{
    Address, Connection, DatagramRequest, Error, Result, ServerInfo as Info, StreamRequest,
};

/// A kind of server socket: [`Tcp`](crate::server::Tcp), [`Udp`](crate::server::Udp),
/// [`UnixStream`](crate::server::UnixStream) or [`UnixDatagram`](crate::server::UnixDatagram).
///
/// This trait is sealed: the crate's four kinds are the only ones.
pub trait SocketKind: Send + Sync + Sized + 'static {
    /// What `local_addr` returns.
    type Addr;
    /// What handlers of this kind get: [`StreamRequest`] or [`DatagramRequest`].
    type Request;
    #[doc(hidden)]
    type Incoming: Incoming<Request = Self::Request>;

    #[doc(hidden)]
    fn local_addr(&self) -> io::Result<Self::Addr>;
    #[doc(hidden)]
    fn address(&self) -> io::Result<Address>;
    /// Receives one request without blocking (`WouldBlock` when none is waiting).
    #[doc(hidden)]
    fn accept(&self) -> io::Result<Self::Incoming>;
    #[doc(hidden)]
    #[cfg(unix)]
    fn raw_fd(&self) -> RawFd;
}

/// A received request before its handler runs: cheap to make on the serving thread; the
/// handler's request is built from it on the thread (or process) that runs it.
pub trait Incoming: Send + 'static {
    /// The handler-facing request.
    type Request;
    /// Who sent it.
    fn client_address(&self) -> &Address;
    /// Builds the handler's request (buffers, per-connection options).
    fn into_request(self, context: &RequestContext) -> Result<Self::Request>;
    /// After `finish`: flush or send the reply, then close (Python's `shutdown_request`).
    fn end(request: Self::Request, context: &RequestContext, report: &mut dyn FnMut(Error));
    /// Closes a request whose handler never ran.
    fn refuse(self);
    /// The connection's descriptor, for a stream request: a forked child ends its reads
    /// through it when asked to close.
    #[cfg(unix)]
    fn connection_fd(&self) -> Option<RawFd> {
        None
    }
}

/// What every request of one server shares.
#[derive(Debug)]
pub struct RequestContext {
    pub(crate) server: Arc<Info>,
    pub(crate) stream: StreamOptions,
    pub(crate) connections: Connections,
}

impl RequestContext {
    pub(crate) fn new(server: Arc<ServerInfo>, stream: StreamOptions) -> Self {
        RequestContext {
            server,
            stream,
            connections: Connections::default(),
        }
    }
}

/// An accepted stream connection.
#[derive(Debug)]
pub struct StreamIncoming {
    pub(crate) connection: Connection,
    pub(crate) client_address: Address,
}

impl Incoming for StreamIncoming {
    type Request = StreamRequest;

    fn client_address(&self) -> &Address {
        &self.client_address
    }

    fn into_request(self, context: &RequestContext) -> Result<StreamRequest> {
        let connection = Arc::new(self.connection);
        let registration = context.connections.register(&connection);
        let request = StreamRequest::new(
            connection,
            self.client_address,
            &context.stream,
            Arc::clone(&context.server),
            registration,
        );
        if request.is_err() {
            context.connections.remove(registration);
        }
        Ok(request?)
    }

    fn end(mut request: StreamRequest, context: &RequestContext, _: &mut dyn FnMut(Error)) {
        request.flush_after_finish();
        context.connections.remove(request.registration());
        // ENOTCONN when the client already went away: nothing to report.
        let _ = request.connection().shutdown(Shutdown::Write);
    }

    fn refuse(self) {
        let _ = self.connection.shutdown(Shutdown::Write);
    }

    #[cfg(unix)]
    fn connection_fd(&self) -> Option<RawFd> {
        use std::os::fd::AsRawFd;
        Some(match &self.connection {
            Connection::Tcp(stream) => stream.as_raw_fd(),
            Connection::Unix(stream) => stream.as_raw_fd(),
        })
    }
}

/// A received datagram; `packet` is `None` when it was longer than `max_packet_size`.
#[derive(Debug)]
pub struct DatagramIncoming {
    pub(crate) packet: Option<Vec<u8>>,
    pub(crate) max_packet_size: usize,
    pub(crate) client_address: Address,
    pub(crate) socket: Arc<DatagramSocket>,
}

impl Incoming for DatagramIncoming {
    type Request = DatagramRequest;

    fn client_address(&self) -> &Address {
        &self.client_address
    }

    fn into_request(self, context: &RequestContext) -> Result<DatagramRequest> {
        match self.packet {
            Some(packet) => Ok(DatagramRequest::new(
                packet,
                self.client_address,
                self.socket,
                Arc::clone(&context.server),
            )),
            None => Err(Error::DatagramTooLarge {
                max_packet_size: self.max_packet_size,
            }),
        }
    }

    fn end(mut request: DatagramRequest, _: &RequestContext, report: &mut dyn FnMut(Error)) {
        if let Err(err) = request.send_reply() {
            report(Error::Io(err));
        }
    }

    fn refuse(self) {}
}

/// Receives datagrams for the UDP and Unix datagram kinds.
#[derive(Debug)]
pub(crate) struct DatagramReceiver {
    pub(crate) socket: Arc<DatagramSocket>,
    max_packet_size: usize,
    /// One byte longer than `max_packet_size`, so that a longer datagram is detected
    /// instead of silently truncated. Only the serving thread uses it.
    buffer: Mutex<Vec<u8>>,
}

impl DatagramReceiver {
    pub(crate) fn new(socket: DatagramSocket, max_packet_size: usize) -> Self {
        DatagramReceiver {
            socket: Arc::new(socket),
            max_packet_size,
            buffer: Mutex::new(vec![0; max_packet_size.saturating_add(1)]),
        }
    }

    pub(crate) fn receive(&self) -> io::Result<DatagramIncoming> {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let (len, client_address) = self.socket.recv_from(&mut buffer)?;
        let packet = (len <= self.max_packet_size).then(|| buffer[..len].to_vec());
        Ok(DatagramIncoming {
            packet,
            max_packet_size: self.max_packet_size,
            client_address,
            socket: Arc::clone(&self.socket),
        })
    }
}
