//! [`SocketKind`]: what differs between TCP, UDP and Unix servers (Python's `TCPServer`,
//! `UDPServer` and their Unix subclasses): how a request is received, what handlers get,
//! and how the request is closed. The loops are the same for all of them.
//!
//! The public trait only names a kind's address and request types; what the crate does
//! with a kind is the crate's own `Kind`, so the set of kinds is closed by the type
//! system (a user cannot implement `Kind`, and so cannot implement `SocketKind`).

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use super::connections::Connections;
use super::ServerInfo;

/// A kind of server socket, named by the server types: [`Tcp`](super::Tcp),
/// [`Udp`](super::Udp), [`Unix`](super::Unix) and [`UnixDgram`](super::UnixDgram), and the
/// HTTP layer's `Http<Tcp>` and `Http<Unix>`.
///
/// Sealed: the crate's kinds are the only ones.
///
/// A kind names what `local_addr` returns (`K::Addr`: a `std::net::SocketAddr`, or a
/// Unix socket address) and what its handlers get (`K::Request`:
/// [`StreamRequest`](crate::StreamRequest), [`DatagramRequest`](crate::DatagramRequest)
/// or the HTTP layer's connection). Code generic over servers or builders bounds its
/// kind parameter by this trait.
pub trait SocketKind: imp::Kind {}

impl<K: imp::Kind> SocketKind for K {}

/// The addresses a kind binds to: anything `ToSocketAddrs` (`"127.0.0.1:2500"`,
/// `("::1", 0)`, a `SocketAddr`) for TCP and UDP servers, anything `AsRef<Path>` for Unix
/// servers. Implemented by the crate for its kinds; it appears in `bind`'s signature.
pub trait Bind<A>: SocketKind + imp::BindTo<A> {}

impl<A, K: imp::BindTo<A>> Bind<A> for K {}

/// A stream kind: TCP, Unix stream, and the HTTP layer's. Its builder has the
/// per-connection options (`rbufsize`, `wbufsize`, `connection_timeout`,
/// `disable_nagle_algorithm`). Implemented by the crate only.
pub trait StreamKind: SocketKind + imp::StreamOptionsOf {}

impl<K: SocketKind + imp::StreamOptionsOf> StreamKind for K {}

/// A datagram kind: UDP and Unix datagram. Its builder has `max_packet_size`.
/// Implemented by the crate only.
pub trait DatagramKind: SocketKind + imp::DatagramOptionsOf {}

impl<K: SocketKind + imp::DatagramOptionsOf> DatagramKind for K {}

pub(crate) use imp::{BindTo, DatagramOptionsOf, Kind, StreamOptionsOf};

/// The crate's side of the kinds. The traits are `pub` in a private module: nameable
/// by the crate, implementable by nobody else, so [`SocketKind`] and [`Bind`] are sealed
/// by the type system.
mod imp {
    use std::io;
    use std::os::fd::{OwnedFd, RawFd};

    use super::super::options::SocketOptions;
    use super::RequestContext;
    use crate::{Address, Error, Result};

    /// What the crate does with a socket kind.
    pub trait Kind: Send + Sync + Sized + 'static {
        /// What `local_addr` returns.
        type Addr;
        /// What handlers of this kind get.
        type Request;
        /// A received request before its handler runs: cheap to make on the serving
        /// thread; the handler's request is built from it on the thread (or process) that
        /// runs it.
        type Incoming: Send + 'static;
        /// The per-request options of this kind (buffers and timeouts, packet size, HTTP
        /// limits), set on the builder.
        type Options: Clone + Default + std::fmt::Debug + Send + Sync + 'static;

        /// Whether `SO_REUSEADDR` is set unless the builder says otherwise.
        const REUSE_ADDRESS: bool;
        /// Whether the socket is a listening one (stream kinds): a forked child closes its
        /// copy.
        const LISTENS: bool;
        /// Whether a threading server of this kind leaves its threads to finish on their
        /// own by default (Python's `ThreadingHTTPServer.daemon_threads`).
        const DAEMON_THREADS: bool = false;

        fn local_addr(&self) -> io::Result<Self::Addr>;
        fn address(&self) -> io::Result<Address>;
        /// Receives one request without blocking (`WouldBlock` when none is waiting).
        fn accept(&self) -> io::Result<Self::Incoming>;
        fn raw_fd(&self) -> RawFd;
        /// Serves a socket made elsewhere (socket activation, `from_socket`): checks it
        /// is of this kind and makes it non-blocking.
        fn adopt(fd: OwnedFd, options: &Self::Options) -> io::Result<Self>;

        fn client_address(incoming: &Self::Incoming) -> &Address;
        /// The connection's descriptor, for a stream request: a forked child ends its
        /// reads through it when asked to close.
        fn connection_fd(incoming: &Self::Incoming) -> Option<RawFd>;
        /// Builds the handler's request (buffers, per-connection options).
        fn open(
            incoming: Self::Incoming,
            context: &RequestContext<Self::Options>,
        ) -> Result<Self::Request>;
        /// After `finish`: flush or send the reply, then close (Python's
        /// `shutdown_request`).
        fn end(
            request: Self::Request,
            context: &RequestContext<Self::Options>,
            report: &mut dyn FnMut(Error),
        );
        /// Closes a request whose handler never ran.
        fn refuse(incoming: Self::Incoming);

        /// Whether requests start with something that says who the client is (a PROXY
        /// header): then `verify_request` waits for [`preamble`](Self::preamble), which
        /// runs where the request runs, not on the accept loop.
        fn has_preamble(_options: &Self::Options) -> bool {
            false
        }

        /// Reads the preamble; the incoming request's client address becomes the one
        /// it names.
        fn preamble(_incoming: &mut Self::Incoming, _options: &Self::Options) -> Result<()> {
            Ok(())
        }
    }

    /// A kind whose options hold stream options.
    pub trait StreamOptionsOf: Kind {
        fn stream_options(options: &mut Self::Options)
            -> &mut super::super::options::StreamOptions;
    }

    /// A kind whose options are datagram options.
    pub trait DatagramOptionsOf: Kind {
        fn datagram_options(
            options: &mut Self::Options,
        ) -> &mut super::super::options::DatagramOptions;
    }

    /// Binding a kind to an address of type `A`.
    pub trait BindTo<A>: Kind {
        fn bind_to(addr: A, socket: &SocketOptions, options: &Self::Options) -> Result<Self>;
    }
}

/// What every request of one server shares.
#[derive(Debug)]
pub struct RequestContext<O> {
    pub(crate) server: Arc<ServerInfo>,
    pub(crate) options: O,
    pub(crate) connections: Arc<Connections>,
}

impl<O> RequestContext<O> {
    pub(crate) fn new(server: Arc<ServerInfo>, options: O) -> Self {
        RequestContext {
            server,
            options,
            connections: Arc::default(),
        }
    }
}

/// Checks that an inherited descriptor is a socket of the wanted type (`SOCK_STREAM`
/// listening, or `SOCK_DGRAM`) and family, so a wrong descriptor is a clear error at
/// bind time rather than a strange one later.
pub(crate) fn check_adopted(
    fd: &OwnedFd,
    ty: libc::c_int,
    families: &[libc::c_int],
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let (actual, listening, family) = crate::sys::socket_shape(fd.as_raw_fd())?;
    let kind = |ty| {
        if ty == libc::SOCK_STREAM {
            "stream"
        } else {
            "datagram"
        }
    };
    if actual != ty || !families.contains(&family) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "descriptor {} is not a {} socket of the server's family",
                fd.as_raw_fd(),
                kind(ty)
            ),
        ));
    }
    if ty == libc::SOCK_STREAM && !listening {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "descriptor {} is a stream socket that is not listening",
                fd.as_raw_fd()
            ),
        ));
    }
    Ok(())
}
