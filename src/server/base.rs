//! [`Server`]: Python's `BaseServer`, the lifecycle every server shares, and the serving
//! loop of the blocking modes.
//!
//! One generic struct holds the socket (its [`SocketKind`](super::SocketKind): TCP, UDP,
//! Unix stream or datagram), the handler factory, and the [`Mode`](super::Mode) that
//! processes each request. `TcpServer<H>`, `ThreadingTcpServer<H>` and the rest are
//! aliases of it; a mode changes how a request is processed, exactly as Python's mixins
//! override `process_request`.

use std::sync::Arc;
use std::{fmt, io};

use super::core::Core;
use super::kind::{RequestContext, SocketKind};
use super::options::ServeOptions;
use super::request::Shared;
use super::{Serve, ServerBuilder, ServerInfo, ShutdownHandle};
use crate::handler::HandlerFactory;
use crate::Result;

/// A server: a bound socket of kind `K`, the mode `M` that processes its requests, and a
/// factory of handlers `H` (Python's `BaseServer`, with `TCPServer`, `UDPServer`, the Unix
/// servers and the mixins as its kinds and modes).
///
/// Use it through its aliases: [`TcpServer`](crate::TcpServer),
/// [`ThreadingTcpServer`](crate::ThreadingTcpServer), [`PoolUdpServer`](crate::PoolUdpServer),
/// [`EventLoopTcpServer`](crate::EventLoopTcpServer), `http::ThreadingHttpServer`, ...
/// Configure one with [`builder`](Self::builder); the mode's options are on the builder
/// too.
///
/// Dropping the server closes its socket, then waits for what its mode waits for
/// (Python's `server_close`). [`close_gracefully`](Self::close_gracefully) bounds that
/// wait, and [`run`](Self::run) is the whole life of a server in one call.
pub struct Server<K: SocketKind, M, H> {
    /// Dropped first: the socket closes before the mode waits for its requests.
    pub(super) core: Core<K>,
    pub(super) shared: Arc<Shared<K, H>>,
    pub(super) serve: ServeOptions,
    pub(super) mode: M,
}

impl<K: SocketKind, M, H> Server<K, M, H> {
    /// Starts configuring a server before its socket is bound (Python's
    /// `bind_and_activate=False` and class attributes), the mode's options included.
    pub fn builder() -> ServerBuilder<K, M, H>
    where
        M: crate::Mode + Default,
    {
        ServerBuilder::new()
    }

    /// Binds a server to `addr` with the default options: `ToSocketAddrs` for TCP and UDP
    /// servers (port 0 picks a free port), a path for Unix servers. `factory` makes one
    /// handler per request (a closure `|| handler` is one).
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        M: Serves<K, H> + Default,
        K: super::Bind<A>,
        F: HandlerFactory<Handler = H>,
    {
        Self::builder().bind(addr, factory)
    }

    pub(crate) fn from_parts(
        core: Core<K>,
        factory: Box<dyn HandlerFactory<Handler = H>>,
        options: K::Options,
        serve: ServeOptions,
        mode: M,
    ) -> Self {
        let context = RequestContext::new(Arc::clone(&core.info), options);
        Server {
            core,
            shared: Arc::new(Shared { factory, context }),
            serve,
            mode,
        }
    }

    /// The address the server is bound to (Python's `server_address`): after binding port
    /// 0, the port the system picked.
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        self.core.socket.local_addr()
    }

    /// A handle that stops [`serve_forever`](Self::serve_forever) from any thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.core.shutdown_handle()
    }

    /// What requests see of this server: its address and a shutdown handle.
    pub fn info(&self) -> &ServerInfo {
        &self.core.info
    }

    pub(crate) fn parts(&self) -> (&Core<K>, &Arc<Shared<K, H>>, &ServeOptions, &M) {
        (&self.core, &self.shared, &self.serve, &self.mode)
    }

    /// Takes the server apart (a mode's graceful stop keeps the poller for a while).
    pub(crate) fn into_core_and_mode(self) -> (Core<K>, M) {
        (self.core, self.mode)
    }

    /// The mode, for its own methods (`active_threads`, ...).
    pub(crate) fn mode(&self) -> &M {
        &self.mode
    }
}

impl<K: SocketKind, M: Run<K, H>, H> Server<K, M, H> {
    /// Handles requests until a [`ShutdownHandle`] (or, with
    /// [`stop_on_signals`](ServerBuilder::stop_on_signals), SIGINT or SIGTERM) stops it.
    ///
    /// The loop sleeps in the kernel between requests; a shutdown wakes it at once. It
    /// returns an error only when the socket itself fails (not for a client's error,
    /// which goes to `handle_error`), or with [`Error::AlreadyServing`](crate::Error::AlreadyServing) when another
    /// thread is serving. When descriptors run out (EMFILE), it backs off and resumes when
    /// some are freed. Blocking modes run `service_actions` on every turn.
    pub fn serve_forever(&self) -> Result<()> {
        M::serve_forever(self)
    }

    /// Ends the requests of idle clients: a handler blocked reading sees end-of-file and
    /// returns, while a reply being written still goes out (threads: the read half of each
    /// connection is shut down; forked children are sent SIGTERM, which does that in the
    /// child). Returns how many connections (or children) were asked.
    ///
    /// Requests accepted before the call that start being served after it (waiting for a
    /// pool worker, say) have their reads ended as they start, until the server serves
    /// again. Datagram servers have no connections: it returns 0. The event loop's
    /// connections end in `close_gracefully`: here it returns 0.
    pub fn close_connections(&self) -> usize {
        M::close_connections(self)
    }

    /// How many connections are being served now (stream servers).
    pub fn open_connections(&self) -> usize {
        M::open_connections(self)
    }

    /// Closes the socket and waits for what the mode waits for (Python's `server_close`);
    /// the same as dropping the server.
    pub fn server_close(self) {}

    /// Stops the server for good, bounded in time, losing nothing that can be delivered:
    /// stops taking new clients and closes the socket, after serving the clients the
    /// kernel had already connected (closing would reset them: their requests would be
    /// lost, not refused). On a TCP socket the server bound itself (and has not shared
    /// with other processes by forking), new connection requests are ignored from the
    /// start of the stop on Linux, so that none is connected then reset: such a client
    /// tries again a second later and is refused (a balancer then sends it elsewhere),
    /// or is served by another server in the port's `SO_REUSEPORT` group. A socket
    /// passed in (`from_socket`, socket activation) is left as it is: other processes
    /// may be taking its clients. Then it ends idle connections as
    /// [`close_connections`](Self::close_connections) does, and waits for requests in
    /// progress to finish (the event loop: writes what is queued). Past the
    /// [`drain_timeout`](ServerBuilder::drain_timeout) the connections left are closed (a
    /// client that does not read its reply cannot keep the server alive). Returns how
    /// many requests (or connections) were still running when it gave up waiting.
    pub fn close_gracefully(self) -> usize {
        M::close_gracefully(self)
    }

    /// The whole life of a server in one call: [`serve_forever`](Self::serve_forever)
    /// until a shutdown (or a signal, with
    /// [`stop_on_signals`](ServerBuilder::stop_on_signals)), then
    /// [`close_gracefully`](Self::close_gracefully): Python's `serve_forever` inside
    /// `with server:` and `except KeyboardInterrupt`.
    pub fn run(self) -> Result<()> {
        let served = self.serve_forever();
        self.close_gracefully();
        served
    }
}

impl<K: SocketKind, M: Run<K, H>, H> Serve for Server<K, M, H> {
    type Addr = K::Addr;

    fn local_addr(&self) -> io::Result<K::Addr> {
        Server::local_addr(self)
    }

    fn shutdown_handle(&self) -> ShutdownHandle {
        Server::shutdown_handle(self)
    }

    fn serve_forever(&self) -> Result<()> {
        Server::serve_forever(self)
    }

    fn close_connections(&self) -> usize {
        Server::close_connections(self)
    }

    fn server_close(self) {}

    fn close_gracefully(self) -> usize {
        Server::close_gracefully(self)
    }
}

pub(crate) use imp::Run;

/// A mode that serves handlers `H` on sockets of kind `K`: the blocking modes
/// ([`Iterative`](crate::Iterative), [`Threading`](crate::Threading),
/// [`Pool`](crate::Pool), [`Forking`](crate::Forking)) with a handler of the kind's
/// requests ([`StreamHandler`](crate::StreamHandler), [`DatagramHandler`](crate::DatagramHandler),
/// an HTTP handler), and the [`EventLoop`](crate::event::EventLoop) with an
/// [`EventHandler`](crate::EventHandler). It appears in `bind`'s bounds, so a handler of
/// the wrong sort is an error there; implemented by the crate only.
pub trait Serves<K: SocketKind, H>: Run<K, H> {}

impl<K: SocketKind, H, M: Run<K, H>> Serves<K, H> for M {}

/// How a mode serves, stops and closes a server: `pub` in a private module, so it can
/// bound the public methods while nobody else implements it.
mod imp {
    use super::Server;
    use crate::server::kind::SocketKind;
    use crate::server::mode::Mode;
    use crate::Result;

    /// A mode that can serve handlers `H` on kind `K`: the blocking modes for
    /// `RequestHandler`s, the event loop for `EventHandler`s.
    pub trait Run<K: SocketKind, H>: Mode + Sized {
        fn serve_forever(server: &Server<K, Self, H>) -> Result<()>;
        fn close_connections(server: &Server<K, Self, H>) -> usize;
        fn open_connections(server: &Server<K, Self, H>) -> usize;
        fn close_gracefully(server: Server<K, Self, H>) -> usize;
        /// The server's socket is bound (or adopted): the event loop binds its other
        /// loops' listeners now, so that clients connecting from now on are spread.
        fn bound(&mut self, _socket: &K) -> Result<()> {
            Ok(())
        }
    }
}

impl<K: SocketKind, M: fmt::Debug, H> fmt::Debug for Server<K, M, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("server_address", &self.core.info.server_address)
            .field("mode", &self.mode)
            .field("timeout", &self.serve.timeout)
            .field("poll_interval", &self.serve.poll_interval)
            .finish_non_exhaustive()
    }
}
