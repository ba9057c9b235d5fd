//! [`EventLoop`]: the event-driven mode and its options, set on the server's builder.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::config::{Backend, Config};
use super::event_loop::Loop;
use super::loops::Worker;
use super::stats::Counters;
use super::EventHandler;
use crate::server::{Mode, ModeSealed, ServerBuilder, Tcp};

/// Serves every connection from one thread, driven by readiness events (the select
/// lectures' server, on epoll or kqueue through mio): the mode of
/// [`EventLoopTcpServer`](super::EventLoopTcpServer).
///
/// Its handlers are [`EventHandler`](super::EventHandler)s, whose callbacks never block.
/// Its options are on the server's builder: `loops`, `max_connections`, `idle_timeout`,
/// `output_limit`, `slow_reader_limit`, `max_line_length`.
pub struct EventLoop<H: EventHandler> {
    pub(crate) config: Config,
    pub(crate) counters: Arc<Counters>,
    /// The connections and their handlers, made by the first `serve_forever` and kept
    /// between serving periods; locked while serving.
    pub(crate) state: Mutex<State<H>>,
}

/// The loops of a server: the first (on the thread that serves, with the server's own
/// poller) and, with [`loops`](ServerBuilder::loops) above 1, the others.
pub(crate) struct State<H: EventHandler> {
    pub(crate) first: Option<Loop<H>>,
    pub(crate) others: Vec<Worker<H>>,
    /// The other loops' `SO_REUSEPORT` listeners, bound with the server (so that clients
    /// are spread from the start), until the first `serve_forever` gives them to the
    /// loops.
    pub(crate) listeners: Vec<std::net::TcpListener>,
}

impl<H: EventHandler> Default for EventLoop<H> {
    fn default() -> Self {
        EventLoop {
            config: Config::default(),
            counters: Arc::default(),
            state: Mutex::new(State {
                first: None,
                others: Vec::new(),
                listeners: Vec::new(),
            }),
        }
    }
}

impl<H: EventHandler> ModeSealed for EventLoop<H> {}
impl<H: EventHandler> Mode for EventLoop<H> {}

impl<H: EventHandler> fmt::Debug for EventLoop<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("config", &self.config)
            .field("stats", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

impl<H: EventHandler> ServerBuilder<Tcp, EventLoop<H>, H> {
    /// How many event loops serve, each on a thread of its own, to use several cores.
    /// Default 1: the thread that calls `serve_forever` serves everything, as before.
    ///
    /// With `n` above 1, `serve_forever` runs the first loop on the calling thread and
    /// starts `n - 1` threads (`event-loop-1`, ...) for the others; each loop has its own
    /// poller, connections and listening socket, bound to the server's address with
    /// `SO_REUSEPORT` (this sets [`allow_reuse_port`](Self::allow_reuse_port)), so the
    /// kernel spreads new connections evenly over the loops (a later
    /// `allow_reuse_port(false)` turns that off again: the loops then share the one
    /// socket); each connection stays on
    /// the loop that accepted it. One [`ShutdownHandle`](crate::ShutdownHandle) stops
    /// every loop, and `serve_forever` returns once all have ended (with the first error
    /// any loop had; the others are logged). [`close_gracefully`](crate::Server::close_gracefully)
    /// closes every listening socket and drains every loop at once, with the same
    /// deadline. TLS and the PROXY protocol work on every loop. [`stats`](super::EventLoopTcpServer::stats)
    /// counts all of them.
    ///
    /// What differs: [`max_connections`](Self::max_connections) is shared out (each loop
    /// holds at most `max / n`, rounded up), and [`Context::send_to`](super::Context::send_to)
    /// and [`broadcast`](super::Context::broadcast) reach only the connections of the
    /// sender's loop: a relay (a chat) keeps one loop. A socket the server did not bind
    /// (socket activation, `from_socket`) without `SO_REUSEPORT` is shared by the loops
    /// instead. Named `loops` rather than `threads`, which would suggest a thread per
    /// connection as in the threading servers. 0 counts as 1.
    pub fn loops(mut self, n: usize) -> Self {
        self.mode.config.loops = n.max(1);
        if n > 1 {
            self.socket.allow_reuse_port = true;
        }
        self
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
        self.mode.config.max_connections = max.map(|max| max.max(1));
        self
    }

    /// Closes a connection on which no byte has moved, in or out, for this long (a client
    /// that stopped reading while output is queued counts as idle). Default `None`.
    /// Idle connections are looked for at most every eighth of the timeout, so one closes
    /// between `timeout` and `timeout * 9 / 8` after its last byte.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.mode.config.idle_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// Backpressure: the server stops reading from a connection while this many bytes of
    /// its output are queued, and reads again once the queue is below half of it. Default
    /// [`DEFAULT_OUTPUT_LIMIT`](super::DEFAULT_OUTPUT_LIMIT), 1 MiB. At least 1.
    ///
    /// A read never takes more than the room left below the limit, so a handler that
    /// replies with no more bytes than it reads (an echo) never has more than this queued,
    /// however slowly its client reads. Line handlers can be over by one line; with TLS
    /// the queue holds encrypted bytes and can be over by one TLS record (16 KiB), which
    /// a read may complete.
    pub fn output_limit(mut self, bytes: usize) -> Self {
        self.mode.config.output_limit = bytes.max(1);
        self
    }

    /// For relays: a connection that other connections' `send_to` or `broadcast` would
    /// give more than this many queued bytes is closed as too slow, so that one client
    /// that does not read cannot hold the others back or grow the server's memory.
    /// Default four times the [`output_limit`](Self::output_limit).
    pub fn slow_reader_limit(mut self, bytes: usize) -> Self {
        self.mode.config.slow_reader_limit = Some(bytes.max(1));
        self
    }

    /// The longest line the default line framing ([`EventHandler::on_line`]) accepts, in
    /// bytes before the `\n`. A longer line closes the connection with an `InvalidData`
    /// error. Default [`DEFAULT_MAX_LINE_LENGTH`](super::DEFAULT_MAX_LINE_LENGTH), 1 MiB. Only the unfinished
    /// line is buffered, so memory per connection is bounded by this.
    ///
    /// [`EventHandler::on_line`]: super::EventHandler::on_line
    pub fn max_line_length(mut self, bytes: usize) -> Self {
        self.mode.config.max_line_length = bytes;
        self
    }

    /// What does the loop's I/O: [`Backend::Epoll`] or [`Backend::IoUring`] (which falls
    /// back to epoll, with a warning, where io_uring is not available). Default
    /// [`Backend::from_env`]: epoll unless `SOCKETSERVER_BACKEND=io_uring`.
    /// [`EventLoopTcpServer::backend`](super::EventLoopTcpServer::backend) tells which
    /// one serves.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.mode.config.backend = backend;
        self
    }

    /// A test hook: the loop acts as if the kernel refused io_uring.
    #[cfg(test)]
    pub(crate) fn refuse_uring(mut self) -> Self {
        self.mode.config.refuse_uring = true;
        self
    }
}
