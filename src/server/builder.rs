//! [`ServerBuilder`]: the one way to configure a server, before its socket is bound
//! (Python's `bind_and_activate=False`, and the class attributes a subclass would
//! override), the mode's options included.

use std::fmt;
use std::marker::PhantomData;
use std::os::fd::OwnedFd;
use std::time::Duration;

use super::core::Core;
use super::kind::{Bind, SocketKind};
use super::kind::{DatagramKind, StreamKind};
use super::mode::{Blocking, Mode};
use super::options::{ServeOptions, SocketOptions};
use super::socket::take_listen_fd;
use super::{Server, Serves};
use crate::handler::HandlerFactory;
use crate::{Error, Result};

/// Configures a server before it binds. Get one from the server type's `builder()`
/// (`TcpServer::builder()`, `ThreadingTcpServer::builder()`, `EventLoopTcpServer::builder()`,
/// ...); finish with [`bind`](Self::bind) or [`from_socket`](Self::from_socket).
///
/// Which options exist depends on the server: every server has the socket options and
/// the graceful-stop ones; stream servers have the per-connection ones; datagram servers
/// `max_packet_size`; each mode its own (`max_threads`, `max_workers`, `max_children`,
/// `max_connections`, ...).
///
/// ```
/// use socketserver::{StreamRequest, ThreadingTcpServer};
/// use std::time::Duration;
///
/// let server = ThreadingTcpServer::builder()
///     .max_threads(Some(64))
///     .request_queue_size(64)
///     .timeout(Some(Duration::from_millis(10)))
///     .connection_timeout(Some(Duration::from_secs(30)))
///     .bind("127.0.0.1:0", || |_: &mut StreamRequest| Ok(()))?;
/// assert!(!server.handle_request()?); // nobody connected within the timeout
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct ServerBuilder<K: SocketKind, M, H> {
    pub(crate) socket: SocketOptions,
    pub(crate) serve: ServeOptions,
    pub(crate) options: K::Options,
    pub(crate) mode: M,
    _handler: PhantomData<fn() -> H>,
}

impl<K: SocketKind, M: Mode + Default, H> ServerBuilder<K, M, H> {
    pub(crate) fn new() -> Self {
        let mut mode = M::default();
        if K::DAEMON_THREADS {
            mode.daemon_threads_by_default();
        }
        ServerBuilder {
            socket: SocketOptions::default(),
            serve: ServeOptions::default(),
            options: K::Options::default(),
            mode,
            _handler: PhantomData,
        }
    }
}

impl<K: SocketKind, M, H> ServerBuilder<K, M, H> {
    /// Binds (and, for stream servers, listens) with these options, and makes the server.
    /// `addr` is anything `ToSocketAddrs` for TCP and UDP servers (port 0 picks a free
    /// port), a path for Unix servers (which must not exist yet; the server removes it
    /// when it closes). `factory` makes one handler per request (a closure `|| handler`
    /// is one).
    ///
    /// With [`socket_activation`](Self::socket_activation) on and a socket passed by a
    /// service manager, `addr` is not bound: the server serves that socket.
    ///
    /// A failure names the address: `cannot bind 127.0.0.1:2500: address already in use`.
    pub fn bind<A, F>(self, addr: A, factory: F) -> Result<Server<K, M, H>>
    where
        K: Bind<A>,
        M: Serves<K, H>,
        F: HandlerFactory<Handler = H>,
    {
        if self.socket.socket_activation {
            if let Some(fd) = take_listen_fd()? {
                log::info!("serving the socket passed by the service manager (LISTEN_FDS)");
                return self.adopt(fd, "inherited descriptor 3", factory);
            }
        }
        let socket = K::bind_to(addr, &self.socket, &self.options)?;
        self.finish(socket, true, factory)
    }

    /// Serves a socket that is already bound (and listening, for stream servers): a
    /// `TcpListener`, `UdpSocket`, `UnixListener`, `UnixDatagram` or any `OwnedFd` of the
    /// server's kind. The socket options of this builder are not applied; a socket of the
    /// wrong type is refused with an error.
    pub fn from_socket<S, F>(self, socket: S, factory: F) -> Result<Server<K, M, H>>
    where
        S: Into<OwnedFd>,
        M: Serves<K, H>,
        F: HandlerFactory<Handler = H>,
    {
        self.adopt(socket.into(), "the given socket", factory)
    }

    fn adopt<F>(self, fd: OwnedFd, what: &str, factory: F) -> Result<Server<K, M, H>>
    where
        M: Serves<K, H>,
        F: HandlerFactory<Handler = H>,
    {
        let socket = K::adopt(fd, &self.options).map_err(|err| Error::bind(what, err))?;
        self.finish(socket, false, factory)
    }

    /// `own`: the server bound `socket` itself (no other process has it).
    fn finish<F>(mut self, socket: K, own: bool, factory: F) -> Result<Server<K, M, H>>
    where
        M: Serves<K, H>,
        F: HandlerFactory<Handler = H>,
    {
        self.mode.bound(&socket)?;
        let core = Core::new(socket, own, self.serve.stop_on_signals)?;
        Ok(Server::from_parts(
            core,
            Box::new(factory),
            self.options,
            self.serve,
            self.mode,
        ))
    }

    /// Sets `SO_REUSEADDR` before binding, so a restarted server can bind its port while
    /// connections of the old one linger in TIME_WAIT.
    ///
    /// Default: on for stream servers (TCP and the HTTP layer), off for datagram servers.
    /// Python's default is off, for Windows, where the option lets another process take a
    /// port in use; on Unix it only allows the restart, which is why std, Go and nginx set
    /// it too. For UDP it would let two servers bind one port, so it stays off there.
    pub fn allow_reuse_address(mut self, allow: bool) -> Self {
        self.socket.allow_reuse_address = Some(allow);
        self
    }

    /// Sets `SO_REUSEPORT` before binding (TCP and UDP; Linux refuses it on Unix
    /// sockets), so several servers, in one process or several, listen on one port and
    /// the kernel spreads connections between them. Default `false`.
    pub fn allow_reuse_port(mut self, allow: bool) -> Self {
        self.socket.allow_reuse_port = allow;
        self
    }

    /// The listen backlog: connections the kernel completes and holds while the server is
    /// busy. Default `SOMAXCONN` (as in Python 3.15; Python's old 5 refused most of a
    /// burst).
    pub fn request_queue_size(mut self, size: u32) -> Self {
        self.socket.request_queue_size = i32::try_from(size).unwrap_or(i32::MAX);
        self
    }

    /// For IPv6 addresses: accept only IPv6 (`true`) or IPv4-mapped addresses too
    /// (`false`). Default: the system's setting.
    pub fn only_v6(mut self, only_v6: bool) -> Self {
        self.socket.only_v6 = Some(only_v6);
        self
    }

    /// Socket activation, systemd's convention: when this process was passed a listening
    /// socket (`LISTEN_PID` is its pid, `LISTEN_FDS` at least 1, the socket is descriptor
    /// 3), `bind` serves that socket instead of binding its address. Several processes
    /// passed the same socket share its queue of new connections: stopping one of them
    /// refuses nobody. Default `false`.
    pub fn socket_activation(mut self, enable: bool) -> Self {
        self.socket.socket_activation = enable;
        self
    }

    /// SIGINT (Ctrl-C) and SIGTERM stop the server's `serve_forever` as a
    /// [`ShutdownHandle`](crate::ShutdownHandle) would (Python's `except
    /// KeyboardInterrupt`). Default `false`.
    ///
    /// The handlers are installed when the server binds, so a signal that comes right
    /// after is not lost. They are async-signal-safe and start no thread (one `write` to
    /// the serving loop's wake-up descriptor), so a `Forking` server can use them. They
    /// replace whatever the process had for these two signals.
    pub fn stop_on_signals(mut self, enable: bool) -> Self {
        self.serve.stop_on_signals = enable;
        self
    }

    /// How long [`close_gracefully`](Server::close_gracefully) (and so
    /// [`run`](Server::run)) waits for requests in progress before it ends their
    /// connections. Default [`DEFAULT_DRAIN_TIMEOUT`](super::DEFAULT_DRAIN_TIMEOUT), 2 s.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.serve.drain_timeout = timeout;
        self
    }
}

impl<K: SocketKind, M: Blocking, H> ServerBuilder<K, M, H> {
    /// How long `handle_request` waits for a request before `handle_timeout` (Python's
    /// `BaseServer.timeout`). Default `None`: wait forever. `serve_forever` ignores it.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.serve.timeout = timeout;
        self
    }

    /// How often `serve_forever` runs `service_actions` when idle. Default 0.5 s.
    /// Shutdown does not wait for it: the loop is woken at once.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.serve.poll_interval = interval;
        self
    }
}

impl<K: StreamKind, M, H> ServerBuilder<K, M, H> {
    /// Serves TLS with `config` (feature `tls`): every connection's handshake runs where
    /// its request runs (never on a concurrent server's accept loop) within the
    /// configuration's handshake timeout, and the handler reads and writes plaintext as
    /// without TLS. See [`tls`](crate::tls).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: crate::tls::TlsConfig) -> Self {
        K::stream_options(&mut self.options).tls = Some(config);
        self
    }

    /// Expects a PROXY protocol header (v1 or v2) at the start of every connection, from
    /// the balancers `config` trusts; its source address becomes the client's. Read
    /// before the TLS handshake when both are on, where the request runs. See
    /// [`proxy`](crate::proxy).
    pub fn proxy_protocol(mut self, config: crate::proxy::ProxyProtocol) -> Self {
        K::stream_options(&mut self.options).proxy = Some(config);
        self
    }

    /// Sets `TCP_NODELAY` on each connection. Default `false` (on for the HTTP servers).
    pub fn disable_nagle_algorithm(mut self, disable: bool) -> Self {
        K::stream_options(&mut self.options).disable_nagle_algorithm = disable;
        self
    }
}

impl<K: StreamKind, M: Blocking, H> ServerBuilder<K, M, H> {
    /// Size of `rfile`'s buffer. Default
    /// [`DEFAULT_RBUFSIZE`](super::DEFAULT_RBUFSIZE), 8192. It is allocated but not filled
    /// in advance: an idle connection costs only what it has received.
    pub fn rbufsize(mut self, size: usize) -> Self {
        K::stream_options(&mut self.options).rbufsize = size;
        self
    }

    /// How much of a reply `wfile` collects before it sends. Default
    /// [`DEFAULT_WBUFSIZE`](super::DEFAULT_WBUFSIZE), 8192; `wfile` also sends when the
    /// handler next reads, flushes or finishes. 0 sends every write at once (Python's
    /// default `wbufsize = 0`, which costs a send per `write!` fragment).
    pub fn wbufsize(mut self, size: usize) -> Self {
        K::stream_options(&mut self.options).wbufsize = size;
        self
    }

    /// Read and write timeout of each connection (Python's `StreamRequestHandler.timeout`).
    /// Default `None`.
    pub fn connection_timeout(mut self, timeout: Option<Duration>) -> Self {
        K::stream_options(&mut self.options).timeout = timeout;
        self
    }
}

impl<K: DatagramKind, M, H> ServerBuilder<K, M, H> {
    /// The largest datagram served, in bytes. Default
    /// [`DEFAULT_MAX_PACKET_SIZE`](super::DEFAULT_MAX_PACKET_SIZE), 8192, as in Python.
    /// A larger datagram is dropped and reported through `handle_error` as
    /// [`Error::DatagramTooLarge`] (Python truncates it silently).
    pub fn max_packet_size(mut self, size: usize) -> Self {
        K::datagram_options(&mut self.options).max_packet_size = size;
        self
    }
}

impl<K: SocketKind, M: fmt::Debug, H> fmt::Debug for ServerBuilder<K, M, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("socket", &self.socket)
            .field("serve", &self.serve)
            .field("options", &self.options)
            .field("mode", &self.mode)
            .finish()
    }
}
