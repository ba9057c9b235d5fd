//! Servers: the shared lifecycle ([`BaseServer`]), the socket kinds (TCP, UDP, Unix
//! stream and datagram), and what a request can see of its server ([`ServerInfo`]).

mod accept;
mod base;
mod builder;
mod connections;
mod hooks;
mod kind;
mod serve;
mod shutdown;
mod socket;
mod tcp;
mod udp;
#[cfg(unix)]
mod unix;

pub use base::{BaseServer, Request};
pub use builder::ServerBuilder;
pub use hooks::default_handle_error;
pub use kind::SocketKind;
pub use serve::Serve;
pub use shutdown::ShutdownHandle;
pub use tcp::{Tcp, TcpServer};
pub use udp::{Udp, UdpServer};

// The event loop (`crate::event`) reuses the socket, accept and shutdown plumbing.
pub(crate) use accept::{classify, AcceptError, Backoff};
pub(crate) use builder::SocketOptions;
pub(crate) use shutdown::{new_poll, ShutdownState};
pub(crate) use socket::bind_inet;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixDatagramServer, UnixStream, UnixStreamServer};

use crate::Address;

/// What a request can reach of its server: the server's address and a shutdown handle.
///
/// Shared application state (a chat server's client list) does not live here: the handler
/// factory captures it, as an `Arc`, and hands it to every handler it makes.
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
