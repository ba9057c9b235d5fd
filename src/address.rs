//! [`Address`]: where a request came from, for TCP, UDP and Unix sockets alike.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::unix::net::SocketAddr as UnixSocketAddr;
#[cfg(unix)]
use std::path::Path;

/// A client's address (Python's `client_address`).
///
/// One type for every socket family, so that one handler can serve TCP and Unix
/// sockets, as a Python handler class can. Addresses compare and hash by value, so they
/// can key a map of clients (a UDP chat server's list). Unix addresses compare by path;
/// all unnamed Unix addresses are equal, since nothing tells them apart.
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

impl Address {
    /// What equality and hashing look at.
    fn key(&self) -> AddressKey<'_> {
        match self {
            Address::Inet(addr) => AddressKey::Inet(*addr),
            #[cfg(unix)]
            Address::Unix(addr) => AddressKey::Unix(addr.as_pathname()),
        }
    }
}

#[derive(PartialEq, Eq, Hash)]
enum AddressKey<'a> {
    Inet(SocketAddr),
    #[cfg(unix)]
    Unix(Option<&'a Path>),
    #[cfg(not(unix))]
    _Unused(std::marker::PhantomData<&'a ()>),
}

impl PartialEq for Address {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Address {}

impl Hash for Address {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn addresses_compare_and_hash_by_value() {
        let a: Address = "127.0.0.1:2500".parse::<SocketAddr>().unwrap().into();
        let same: Address = "127.0.0.1:2500".parse::<SocketAddr>().unwrap().into();
        let other: Address = "127.0.0.1:2501".parse::<SocketAddr>().unwrap().into();
        assert_eq!(a, same);
        assert_ne!(a, other);
        let set: HashSet<Address> = [a, same, other].into_iter().collect();
        assert_eq!(set.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn unix_addresses_compare_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let bound = std::os::unix::net::UnixDatagram::bind(dir.path().join("a")).unwrap();
        let a = Address::Unix(bound.local_addr().unwrap());
        let again = Address::Unix(bound.local_addr().unwrap());
        let unnamed = Address::Unix(
            std::os::unix::net::UnixDatagram::unbound()
                .unwrap()
                .local_addr()
                .unwrap(),
        );
        assert_eq!(a, again);
        assert_ne!(a, unnamed);
        assert_eq!(a.to_string(), dir.path().join("a").display().to_string());
        assert_eq!(unnamed.to_string(), "(unnamed unix socket)");
    }
}
