//! [`ServerBuilder`]: options set before the socket is bound (Python's
//! `bind_and_activate=False`, and the class attributes a subclass would override).

use std::fmt;
use std::time::Duration;

use super::base::KindMarker;
use super::hooks::Hooks;
use super::kind::SocketKind;
use crate::handler::stream::StreamOptions;
use crate::{Address, DatagramRequest, Error, StreamRequest};

/// Socket options applied between `socket()` and `bind()`.
#[derive(Debug, Clone)]
pub(crate) struct SocketOptions {
    pub(crate) allow_reuse_address: bool,
    pub(crate) allow_reuse_port: bool,
    pub(crate) request_queue_size: i32,
    pub(crate) only_v6: Option<bool>,
}

/// Configures a server before it binds. Get one from `TcpServer::builder()` (or the
/// builder of any other server); finish with the kind's `bind`.
///
/// ```
/// use socketserver::{StreamRequest, TcpServer};
/// use std::time::Duration;
///
/// let server = TcpServer::builder()
///     .allow_reuse_address(true)
///     .request_queue_size(64)
///     .timeout(Some(Duration::from_millis(10)))
///     .verify_request(|client| client.as_inet().is_some_and(|a| a.ip().is_loopback()))
///     .bind("127.0.0.1:0", || |_: &mut StreamRequest| Ok(()))?;
/// assert!(!server.handle_request()?); // nobody connected within the timeout
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct ServerBuilder<K, H> {
    pub(crate) socket: SocketOptions,
    pub(crate) timeout: Option<Duration>,
    pub(crate) poll_interval: Duration,
    pub(crate) stream: StreamOptions,
    pub(crate) max_packet_size: usize,
    pub(crate) hooks: Hooks,
    _kind: KindMarker<(K, H)>,
}

impl<K: SocketKind, H> ServerBuilder<K, H> {
    pub(crate) fn new() -> Self {
        ServerBuilder {
            socket: SocketOptions {
                allow_reuse_address: false,
                allow_reuse_port: false,
                request_queue_size: libc::SOMAXCONN,
                only_v6: None,
            },
            timeout: None,
            poll_interval: Duration::from_millis(500),
            stream: StreamOptions::default(),
            max_packet_size: 8192,
            hooks: Hooks::default(),
            _kind: KindMarker::default(),
        }
    }

    /// Sets `SO_REUSEADDR` before binding, so a restarted server can bind a port whose old
    /// connections linger in TIME_WAIT. Default `false`, as in Python.
    pub fn allow_reuse_address(mut self, allow: bool) -> Self {
        self.socket.allow_reuse_address = allow;
        self
    }

    /// Sets `SO_REUSEPORT` before binding (TCP and UDP only; Linux refuses it on Unix
    /// sockets). Default `false`.
    pub fn allow_reuse_port(mut self, allow: bool) -> Self {
        self.socket.allow_reuse_port = allow;
        self
    }

    /// The listen backlog: connections the kernel queues while the server is busy.
    /// Default `SOMAXCONN` (as in Python 3.15; Python's old 5 refused most of a burst).
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

    /// How long `handle_request` waits for a request before `handle_timeout` (Python's
    /// `BaseServer.timeout`). Default `None`: wait forever. `serve_forever` ignores it.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// How often `serve_forever` runs `service_actions` when idle. Default 0.5 s.
    /// Shutdown does not wait for it: the loop is woken at once.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Decides, before the handler runs, whether to serve a client (Python's
    /// `verify_request`). A refused request is closed without running the handler.
    pub fn verify_request<F>(mut self, verify: F) -> Self
    where
        F: Fn(&Address) -> bool + Send + Sync + 'static,
    {
        self.hooks.verify_request = Some(Box::new(verify));
        self
    }

    /// Receives every error and panic of a request (Python's `handle_error`). The
    /// default, [`default_handle_error`](crate::server::default_handle_error), logs it.
    pub fn handle_error<F>(mut self, handle: F) -> Self
    where
        F: Fn(&Address, &Error) + Send + Sync + 'static,
    {
        self.hooks.handle_error = Some(Box::new(handle));
        self
    }

    /// Runs on every turn of `serve_forever`, at least every `poll_interval` (Python's
    /// `service_actions`).
    pub fn service_actions<F>(mut self, action: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.hooks.service_actions = Some(Box::new(action));
        self
    }

    /// Runs when `handle_request` times out (Python's `handle_timeout`).
    pub fn handle_timeout<F>(mut self, action: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.hooks.handle_timeout = Some(Box::new(action));
        self
    }
}

impl<K: SocketKind<Request = StreamRequest>, H> ServerBuilder<K, H> {
    /// Size of `rfile`'s buffer. Default 8192.
    pub fn rbufsize(mut self, size: usize) -> Self {
        self.stream.rbufsize = size;
        self
    }

    /// Size of `wfile`'s buffer. Default 0: every write goes straight to the socket, as
    /// in Python. With a buffer, `wfile` is flushed after `finish`.
    pub fn wbufsize(mut self, size: usize) -> Self {
        self.stream.wbufsize = size;
        self
    }

    /// Read and write timeout of each connection (Python's `StreamRequestHandler.timeout`).
    /// Default `None`.
    pub fn connection_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.stream.timeout = timeout;
        self
    }

    /// Sets `TCP_NODELAY` on each connection. Default `false`.
    pub fn disable_nagle_algorithm(mut self, disable: bool) -> Self {
        self.stream.disable_nagle_algorithm = disable;
        self
    }
}

impl<K: SocketKind<Request = DatagramRequest>, H> ServerBuilder<K, H> {
    /// The largest datagram served, in bytes. Default 8192, as in Python. A larger
    /// datagram is dropped and reported through `handle_error` as
    /// [`Error::DatagramTooLarge`] (Python truncates it silently).
    pub fn max_packet_size(mut self, size: usize) -> Self {
        self.max_packet_size = size;
        self
    }
}

impl<K, H> fmt::Debug for ServerBuilder<K, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("socket", &self.socket)
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .field("stream", &self.stream)
            .field("max_packet_size", &self.max_packet_size)
            .finish_non_exhaustive()
    }
}
