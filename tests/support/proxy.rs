//! PROXY protocol headers as balancers send them, written with `ppp`'s builder (v2) or by
//! hand (v1, one line of text).

use std::net::SocketAddr;

use ppp::v2::{Builder, Command, Protocol, Type, Version};

/// `PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n`.
pub fn v1(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let family = if source.is_ipv4() { "TCP4" } else { "TCP6" };
    format!(
        "PROXY {family} {} {} {} {}\r\n",
        source.ip(),
        destination.ip(),
        source.port(),
        destination.port()
    )
    .into_bytes()
}

/// A v2 `PROXY` header over TCP, with an authority TLV when given.
pub fn v2(source: SocketAddr, destination: SocketAddr, authority: Option<&str>) -> Vec<u8> {
    let builder = Builder::with_addresses(
        Version::Two | Command::Proxy,
        Protocol::Stream,
        (source, destination),
    );
    let builder = match authority {
        Some(name) => builder.write_tlv(Type::Authority, name.as_bytes()).unwrap(),
        None => builder,
    };
    builder.build().unwrap()
}

/// A v2 `LOCAL` header: a balancer's health check.
pub fn v2_local() -> Vec<u8> {
    Builder::new(
        Version::Two | Command::Local,
        ppp::v2::AddressFamily::Unspecified | Protocol::Unspecified,
    )
    .build()
    .unwrap()
}
