//! Servers: [`Server`], the lifecycle every server shares, its [`ServerBuilder`], the
//! socket kinds (TCP, UDP, Unix stream and datagram), the [`Mode`]s that process
//! requests, and what a request can see of its server ([`ServerInfo`]).

mod accept;
mod base;
mod blocking;
mod builder;
mod connections;
mod core;
mod datagrams;
mod iterative;
mod kind;
mod mode;
mod options;
mod request;
mod serve;
mod shutdown;
mod signal;
mod socket;
mod streams;
mod tcp;
mod udp;
mod unix;

pub use base::{Server, Serves};
pub use builder::ServerBuilder;
pub use iterative::Iterative;
pub use kind::{Bind, DatagramKind, SocketKind, StreamKind};
pub use mode::Mode;
pub use options::{
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_MAX_PACKET_SIZE, DEFAULT_RBUFSIZE, DEFAULT_WBUFSIZE,
};
pub use serve::Serve;
pub use shutdown::ShutdownHandle;
pub use tcp::{Tcp, TcpServer};
pub use udp::{Udp, UdpServer};
pub use unix::{Unix, UnixDatagramServer, UnixDgram, UnixStreamServer};

// For the modes (`crate::mixin`, `crate::event`) and the HTTP layer, which build on the core.
pub(crate) use accept::{classify, AcceptError, Backoff, LastAccepts};
pub(crate) use base::Run;
pub(crate) use blocking::STOP_GRACE;
pub(crate) use connections::Connections;
pub(crate) use core::{lock_for_serving, LISTENER, WAKE};
#[cfg_attr(not(feature = "http"), allow(unused_imports))]
pub(crate) use kind::{BindTo, Kind, RequestContext, StreamOptionsOf};
pub(crate) use mode::{Blocking, Sealed as ModeSealed};
#[cfg_attr(not(feature = "http"), allow(unused_imports))]
pub(crate) use options::{SocketOptions, StreamOptions};
pub(crate) use request::{Request, Shared as SharedState};
#[cfg_attr(not(feature = "http"), allow(unused_imports))]
pub(crate) use streams::{end as streams_end, StreamIncoming};

// For the fuzz targets (`crate::fuzzing`), which drive these directly.
#[cfg(feature = "fuzzing")]
pub(crate) use {
    datagrams::end as datagrams_end, datagrams::receive as datagrams_receive,
    options::DatagramOptions, shutdown::ShutdownState,
};

use crate::Address;

/// What a request can reach of its server: the server's address and a shutdown handle.
///
/// Shared application state (a chat server's client list) does not live here: the handler
/// factory holds it, as an `Arc`, and hands it to every handler it makes.
#[derive(Debug)]
pub struct ServerInfo {
    pub(crate) server_address: Address,
    pub(crate) shutdown: ShutdownHandle,
}

impl ServerInfo {
    /// The address the server is bound to (Python's `server.server_address`).
    pub fn server_address(&self) -> &Address {
        &self.server_address
    }

    /// Stops the server's `serve_forever` (from a handler too: it does not deadlock).
    pub fn shutdown_handle(&self) -> &ShutdownHandle {
        &self.shutdown
    }
}
