//! [`Address`]: where a request came from, for TCP, UDP and Unix sockets alike.

use std::fmt;
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::unix::net::SocketAddr as UnixSocketAddr;

/// A client's address (Python's `client_address`).
///
/// One type for every socket family, so that one handler can serve TCP and Unix
/// sockets, as a Python handler class can.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Address {
    /// An IPv4 or IPv6 address and port.
    Inet(SocketAddr),
    /// A Unix-domain socket address (often unnamed for stream clients).
    #[cfg(unix)]
    Unix(UnixSocketAddr),
}

impl Address {
    /// The IP address and port, for TCP and UDP clients.
    pub fn as_inet(&self) -> Option<SocketAddr> {
        match self {
            Address::Inet(addr) => Some(*addr),
            #[cfg(unix)]
            Address::Unix(_) => None,
        }
    }

    /// The Unix-domain address, for Unix-socket clients.
    #[cfg(unix)]
    pub fn as_unix(&self) -> Option<&UnixSocketAddr> {
        match self {
            Address::Unix(addr) => Some(addr),
            Address::Inet(_) => None,
        }
    }
}

impl From<SocketAddr> for Address {
    fn from(addr: SocketAddr) -> Self {
        Address::Inet(addr)
    }
}

#[cfg(unix)]
impl From<UnixSocketAddr> for Address {
    fn from(addr: UnixSocketAddr) -> Self {
        Address::Unix(addr)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Inet(addr) => addr.fmt(f),
            #[cfg(unix)]
            Address::Unix(addr) => match addr.as_pathname() {
                Some(path) => path.display().fmt(f),
                None => f.write_str("(unnamed unix socket)"),
            },
        }
    }
}
