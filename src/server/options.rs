//! The option sets a builder fills in: socket options applied between `socket()` and
//! `bind()` (Python's `server_bind` class attributes), what the server does around serving
//! (signals, socket activation, the drain deadline), and each kind's per-request options.

use std::time::Duration;

/// Socket options applied before binding, and how the server gets its socket.
#[derive(Debug, Clone)]
pub struct SocketOptions {
    /// `None`: the kind's default (on for TCP and Unix stream servers, off for datagrams).
    pub(crate) allow_reuse_address: Option<bool>,
    pub(crate) allow_reuse_port: bool,
    pub(crate) request_queue_size: i32,
    pub(crate) only_v6: Option<bool>,
    /// Serve the socket a service manager passed (`LISTEN_FDS`) when there is one.
    pub(crate) socket_activation: bool,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            allow_reuse_address: None,
            allow_reuse_port: false,
            request_queue_size: libc::SOMAXCONN,
            only_v6: None,
            socket_activation: false,
        }
    }
}

/// What the server does around serving, whatever its kind and mode.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long `handle_request` waits (Python's `BaseServer.timeout`).
    pub(crate) timeout: Option<Duration>,
    /// How often `serve_forever` runs `service_actions` when idle.
    pub(crate) poll_interval: Duration,
    /// SIGINT and SIGTERM stop the server.
    pub(crate) stop_on_signals: bool,
    /// How long a graceful stop waits for requests in progress.
    pub(crate) drain_timeout: Duration,
}

/// Default [`ServerBuilder::drain_timeout`](crate::ServerBuilder::drain_timeout).
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            timeout: None,
            poll_interval: Duration::from_millis(500),
            stop_on_signals: false,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }
}

/// Per-connection settings of stream servers, Python's `StreamRequestHandler` class
/// attributes.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    pub(crate) rbufsize: usize,
    pub(crate) wbufsize: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) disable_nagle_algorithm: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsConfig>,
    pub(crate) proxy: Option<crate::proxy::ProxyProtocol>,
}

/// Default [`ServerBuilder::rbufsize`](crate::ServerBuilder::rbufsize).
pub const DEFAULT_RBUFSIZE: usize = 8192;
/// Default [`ServerBuilder::wbufsize`](crate::ServerBuilder::wbufsize).
pub const DEFAULT_WBUFSIZE: usize = 8192;
/// Default [`ServerBuilder::max_packet_size`](crate::ServerBuilder::max_packet_size), as in
/// Python.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 8192;

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            rbufsize: DEFAULT_RBUFSIZE,
            wbufsize: DEFAULT_WBUFSIZE,
            timeout: None,
            disable_nagle_algorithm: false,
            #[cfg(feature = "tls")]
            tls: None,
            proxy: None,
        }
    }
}

/// Per-datagram settings of datagram servers.
#[derive(Debug, Clone)]
pub struct DatagramOptions {
    pub(crate) max_packet_size: usize,
}

impl Default for DatagramOptions {
    fn default() -> Self {
        DatagramOptions {
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
        }
    }
}
