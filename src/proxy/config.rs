//! [`ProxyProtocol`]: who may send a PROXY header, and how long it may take.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::{Error, Result};

/// How long a connection has to deliver its whole PROXY header, by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The PROXY protocol settings a stream server takes through
/// [`ServerBuilder::proxy_protocol`](crate::ServerBuilder::proxy_protocol): the trusted
/// balancers and the header timeout.
///
/// ```
/// use socketserver::proxy::ProxyProtocol;
/// use std::time::Duration;
///
/// let proxy = ProxyProtocol::new()
///     .trusted_sources(["10.0.0.0/8", "192.168.1.5", "fd00::/8"])?
///     .header_timeout(Duration::from_secs(2));
/// assert!(proxy.trusts("10.1.2.3".parse().unwrap()));
/// assert!(!proxy.trusts("127.0.0.1".parse().unwrap())); // the list replaces loopback
/// # Ok::<(), socketserver::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProxyProtocol {
    trusted: Vec<Prefix>,
    timeout: Duration,
}

/// An address prefix: `addr/len`.
#[derive(Debug, Clone, Copy)]
struct Prefix {
    addr: IpAddr,
    len: u8,
}

impl Default for ProxyProtocol {
    fn default() -> Self {
        ProxyProtocol::new()
    }
}

impl ProxyProtocol {
    /// Headers from loopback balancers (127.0.0.0/8 and ::1), complete within
    /// [`DEFAULT_HEADER_TIMEOUT`].
    pub fn new() -> Self {
        ProxyProtocol {
            trusted: vec![
                Prefix {
                    addr: Ipv4Addr::LOCALHOST.into(),
                    len: 8,
                },
                Prefix {
                    addr: Ipv6Addr::LOCALHOST.into(),
                    len: 128,
                },
            ],
            timeout: DEFAULT_HEADER_TIMEOUT,
        }
    }

    /// The balancers that may connect, replacing the default (loopback): addresses
    /// (`10.0.0.5`, `::1`) or prefixes (`10.0.0.0/8`, `fd00::/8`). An IPv4 entry also
    /// matches the same address mapped into IPv6 (`::ffff:10.0.0.5`), as a dual-stack
    /// socket reports it. An entry that is neither is an `InvalidInput` error naming it.
    pub fn trusted_sources<S: AsRef<str>>(
        mut self,
        sources: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        self.trusted = sources
            .into_iter()
            .map(|source| parse_prefix(source.as_ref()))
            .collect::<Result<_>>()?;
        Ok(self)
    }

    /// How long a connection has to deliver its whole header (default 5 s): past it, the
    /// connection is closed. At least 1 ms.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Whether a connection from `addr` may send a header.
    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.trusted.iter().any(|prefix| prefix.contains(addr))
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Prefix {
    fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

fn parse_prefix(text: &str) -> Result<Prefix> {
    let bad = || {
        Error::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("trusted PROXY source {text:?}: not an address or ADDRESS/LENGTH"),
        ))
    };
    let (addr, len) = match text.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (text, None),
    };
    let addr: IpAddr = addr.trim().parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(len) => len.trim().parse::<u8>().map_err(|_| bad())?,
        None => max,
    };
    if len > max {
        return Err(bad());
    }
    Ok(Prefix { addr, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_what_they_cover() {
        let proxy = ProxyProtocol::new()
            .trusted_sources(["10.0.0.0/8", "192.168.1.5", "fd00::/8", "0.0.0.0/0"])
            .unwrap();
        assert!(proxy.trusts("10.255.0.1".parse().unwrap()));
        assert!(proxy.trusts("192.168.1.5".parse().unwrap()));
        assert!(proxy.trusts("fd12::1".parse().unwrap()));
        assert!(!proxy.trusts("fe80::1".parse().unwrap()));
        assert!(
            proxy.trusts("::ffff:8.8.8.8".parse().unwrap()),
            "0.0.0.0/0, mapped"
        );
        let loopback = ProxyProtocol::new();
        assert!(loopback.trusts("127.0.0.2".parse().unwrap()));
        assert!(loopback.trusts("::1".parse().unwrap()));
        assert!(loopback.trusts("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!loopback.trusts("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn a_bad_prefix_is_an_error_naming_it() {
        for bad in ["10.0.0.0/33", "nonsense", "::1/129", "10.0.0.0/x"] {
            let err = ProxyProtocol::new().trusted_sources([bad]).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
