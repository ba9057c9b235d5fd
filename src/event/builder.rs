//! [`EventLoopBuilder`]: the event-loop server's options, set before it binds.

use std::fmt;
use std::marker::PhantomData;
use std::net::{TcpListener, ToSocketAddrs};
use std::time::Duration;

use socket2::Type;

use super::table::{HandleError, Limits, VerifyRequest};
use super::{EventHandler, EventLoopTcpServer};
use crate::server::{bind_inet, SocketOptions};
use crate::{Address, Error, Result};

/// Configures an [`EventLoopTcpServer`] before it binds. Get one from
/// [`EventLoopTcpServer::builder`].
///
/// ```
/// use socketserver::event::{Context, EventLoopTcpServer};
/// use std::time::Duration;
///
/// let server = EventLoopTcpServer::builder()
///     .max_connections(Some(10_000))
///     .idle_timeout(Some(Duration::from_secs(300)))
///     .output_limit(64 * 1024)
///     .max_line_length(4096)
///     .bind("127.0.0.1:0", || {
///         |ctx: &mut Context<'_>, data: &[u8]| {
///             ctx.send(data);
///             Ok(())
///         }
///     })?;
/// assert_eq!(server.stats().open_connections, 0);
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct EventLoopBuilder<H> {
    pub(crate) socket: SocketOptions,
    pub(crate) config: Config,
    pub(crate) handle_error: Option<HandleError>,
    pub(crate) verify_request: Option<VerifyRequest>,
    _handler: PhantomData<fn() -> H>,
}

/// The options the loop itself reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) max_connections: Option<usize>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) output_limit: usize,
    pub(crate) slow_reader_limit: Option<usize>,
    pub(crate) max_line_length: usize,
    pub(crate) nodelay: bool,
}

/// Default [`EventLoopBuilder::output_limit`].
const OUTPUT_LIMIT: usize = 1024 * 1024;
/// Default [`EventLoopBuilder::max_line_length`].
const MAX_LINE_LENGTH: usize = 1024 * 1024;

impl Config {
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            output_limit: self.output_limit,
            slow_reader_limit: self
                .slow_reader_limit
                .unwrap_or(self.output_limit.saturating_mul(4)),
            max_line_length: self.max_line_length,
        }
    }
}

impl<H: EventHandler> EventLoopBuilder<H> {
    pub(crate) fn new() -> Self {
        EventLoopBuilder {
            socket: SocketOptions {
                allow_reuse_address: false,
                allow_reuse_port: false,
                request_queue_size: libc::SOMAXCONN,
                only_v6: None,
            },
            config: Config {
                max_connections: None,
                idle_timeout: None,
                output_limit: OUTPUT_LIMIT,
                slow_reader_limit: None,
                max_line_length: MAX_LINE_LENGTH,
                nodelay: false,
            },
            handle_error: None,
            verify_request: None,
            _handler: PhantomData,
        }
    }

    /// Binds and listens with these options. `factory` makes one handler per connection.
    pub fn bind<A, F>(self, addr: A, factory: F) -> Result<EventLoopTcpServer<H>>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let socket = bind_inet(addr, Type::STREAM, &self.socket)?;
        self.from_listener(socket.into(), factory)
    }

    /// Serves on a listener that is already bound and listening; the socket options of
    /// this builder are not applied.
    pub fn from_listener<F>(
        self,
        listener: TcpListener,
        factory: F,
    ) -> Result<EventLoopTcpServer<H>>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        listener.set_nonblocking(true)?;
        EventLoopTcpServer::new(listener, Box::new(factory), self)
    }

    /// The most connections held at once. Default `None`: as many as there are file
    /// descriptors.
    ///
    /// At the limit the server stops accepting: new clients wait in the kernel's listen
    /// backlog ([`request_queue_size`](Self::request_queue_size)) — their `connect`
    /// succeeds, but nothing is read from them — and are accepted, oldest first, as
    /// connections close. Nobody is turned away; a client that gives up waiting just
    /// leaves the backlog.
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.config.max_connections = max.map(|max| max.max(1));
        self
    }

    /// Closes a connection on which no byte has moved, in or out, for this long (a client
    /// that stopped reading while output is queued counts as idle). Default `None`.
    /// Idle connections are looked for at most every eighth of the timeout, so one closes
    /// between `timeout` and `timeout * 9 / 8` after its last byte.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// Backpressure: the server stops reading from a connection while this many bytes of
    /// its output are queued, and reads again once the queue is below half of it. Default
    /// 1 MiB. At least 1.
    ///
    /// A read never takes more than the room left below the limit, so a handler that
    /// replies with no more bytes than it reads (an echo) never has more than this queued,
    /// however slowly its client reads. Line handlers can be over by one line.
    pub fn output_limit(mut self, bytes: usize) -> Self {
        self.config.output_limit = bytes.max(1);
        self
    }

    /// For relays: a connection that other connections' `send_to` or `broadcast` would
    /// give more than this many queued bytes is closed as too slow, so that one client
    /// that does not read cannot hold the others back or grow the server's memory.
    /// Default four times the [`output_limit`](Self::output_limit).
    pub fn slow_reader_limit(mut self, bytes: usize) -> Self {
        self.config.slow_reader_limit = Some(bytes.max(1));
        self
    }

    /// The longest line the default line framing ([`EventHandler::on_line`]) accepts, in
    /// bytes before the `\n`. A longer line closes the connection with an `InvalidData`
    /// error. Default 1 MiB. Only the unfinished line is buffered, so memory per
    /// connection is bounded by this.
    pub fn max_line_length(mut self, bytes: usize) -> Self {
        self.config.max_line_length = bytes;
        self
    }

    /// Sets `TCP_NODELAY` on each connection. Default `false`.
    pub fn disable_nagle_algorithm(mut self, disable: bool) -> Self {
        self.config.nodelay = disable;
        self
    }

    /// Sets `SO_REUSEADDR` before binding. Default `false`, as in Python.
    pub fn allow_reuse_address(mut self, allow: bool) -> Self {
        self.socket.allow_reuse_address = allow;
        self
    }

    /// The listen backlog: connections the kernel completes and holds until the server
    /// accepts them. Default `SOMAXCONN`.
    pub fn request_queue_size(mut self, size: u32) -> Self {
        self.socket.request_queue_size = i32::try_from(size).unwrap_or(i32::MAX);
        self
    }

    /// Decides, when a client connects, whether to serve it (Python's `verify_request`).
    /// A refused connection is closed without a handler being made.
    pub fn verify_request<F>(mut self, verify: F) -> Self
    where
        F: Fn(&Address) -> bool + Send + Sync + 'static,
    {
        self.verify_request = Some(Box::new(verify));
        self
    }

    /// Receives every error and panic of a connection (Python's `handle_error`); the
    /// connection is closed after. The default,
    /// [`default_handle_error`](crate::server::default_handle_error), logs it.
    pub fn handle_error<F>(mut self, handle: F) -> Self
    where
        F: Fn(&Address, &Error) + Send + Sync + 'static,
    {
        self.handle_error = Some(Box::new(handle));
        self
    }
}

impl<H> fmt::Debug for EventLoopBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoopBuilder")
            .field("socket", &self.socket)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
