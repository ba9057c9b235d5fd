//! [`ProxyHeader`]: what a balancer's PROXY header said about a connection.

use std::net::SocketAddr;

use crate::Address;

/// A PROXY protocol header, as a handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyHeader {
    /// 1 (the text header) or 2 (the binary one).
    pub version: u8,
    /// The client's address, as the balancer saw it; `None` for a v2 `LOCAL` header (a
    /// health check), a v1 `UNKNOWN` one, or addresses that are not IP (v2 `UNIX`).
    pub source: Option<SocketAddr>,
    /// The address the client connected to (the balancer's frontend), when given.
    pub destination: Option<SocketAddr>,
    /// The socket's own peer: the balancer.
    pub proxy: Address,
    /// The v2 header's type-length-value fields, in order (none in v1).
    pub tlvs: Vec<ProxyTlv>,
}

/// One type-length-value field of a v2 header: ALPN (`0x01`), authority (`0x02`, the
/// server name the client asked for), unique id (`0x05`), TLS details (`0x20`), AWS
/// (`0xEA`), ... or a type of the balancer's own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyTlv {
    /// The type byte (`PP2_TYPE_*`).
    pub kind: u8,
    /// The value, as sent.
    pub value: Vec<u8>,
}

impl ProxyHeader {
    /// The value of the first TLV of type `kind`.
    pub fn tlv(&self, kind: u8) -> Option<&[u8]> {
        self.tlvs
            .iter()
            .find(|tlv| tlv.kind == kind)
            .map(|tlv| tlv.value.as_slice())
    }

    /// The authority TLV (`PP2_TYPE_AUTHORITY`, 0x02): the host name the client asked the
    /// balancer for (its SNI), when the balancer sends it.
    pub fn authority(&self) -> Option<&str> {
        self.tlv(0x02).and_then(|v| std::str::from_utf8(v).ok())
    }
}
