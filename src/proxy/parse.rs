//! Telling a PROXY header from the bytes that follow it, with `ppp` doing the parsing.
//!
//! The caller may hold only the start of the header: [`parse`] says `Incomplete` as long
//! as every byte it was given can still be part of one (so a reader may consume them all
//! and wait for more), and the header's exact length once it is whole (so a reader
//! consumes no byte that belongs to the protocol after it).

use std::net::SocketAddr;

use ppp::v2;

use super::{ProxyHeader, ProxyTlv};
use crate::Address;

/// The v2 signature; v1 starts with `PROXY `.
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
const V1_PREFIX: &[u8] = b"PROXY ";
/// The longest v1 header, `\r\n` included (the specification's 107 bytes).
const V1_MAX_LEN: usize = 107;
/// The longest header accepted: v2's fixed 16 bytes and room for addresses and TLVs
/// (what HAProxy, nginx and the cloud balancers send fits in a few hundred bytes). A
/// longer one is refused rather than buffered.
pub(crate) const MAX_HEADER_LEN: usize = 4096;

/// What the bytes at the start of a connection are.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// The start of a header: every byte given belongs to it, more are needed.
    Incomplete,
    /// A whole header of `len` bytes.
    Header { len: usize, header: ProxyHeader },
    /// Not a PROXY header, or a malformed one: why.
    Invalid(String),
}

/// Parses the header at the start of `buf`; `proxy` is the socket's peer (the balancer).
pub(crate) fn parse(buf: &[u8], proxy: &Address) -> Parsed {
    let start = &buf[..buf.len().min(V2_SIGNATURE.len())];
    if V2_SIGNATURE.starts_with(start) {
        return parse_v2(buf, proxy);
    }
    let start = &buf[..buf.len().min(V1_PREFIX.len())];
    if V1_PREFIX.starts_with(start) {
        return parse_v1(buf, proxy);
    }
    Parsed::Invalid(format!(
        "not a PROXY protocol header: starts with \"{}\"",
        buf[..buf.len().min(16)].escape_ascii()
    ))
}

fn parse_v1(buf: &[u8], proxy: &Address) -> Parsed {
    let window = &buf[..buf.len().min(V1_MAX_LEN)];
    let Some(cr) = window.windows(2).position(|pair| pair == b"\r\n") else {
        return if buf.len() >= V1_MAX_LEN {
            Parsed::Invalid(format!("PROXY v1 header longer than {V1_MAX_LEN} bytes"))
        } else {
            Parsed::Incomplete
        };
    };
    let len = cr + 2;
    match ppp::v1::Header::try_from(&buf[..len]) {
        Ok(parsed) => {
            let (source, destination) = match parsed.addresses {
                ppp::v1::Addresses::Tcp4(ip) => (
                    Some(SocketAddr::from((ip.source_address, ip.source_port))),
                    Some(SocketAddr::from((
                        ip.destination_address,
                        ip.destination_port,
                    ))),
                ),
                ppp::v1::Addresses::Tcp6(ip) => (
                    Some(SocketAddr::from((ip.source_address, ip.source_port))),
                    Some(SocketAddr::from((
                        ip.destination_address,
                        ip.destination_port,
                    ))),
                ),
                ppp::v1::Addresses::Unknown => (None, None),
            };
            Parsed::Header {
                len,
                header: ProxyHeader {
                    version: 1,
                    source,
                    destination,
                    proxy: proxy.clone(),
                    tlvs: Vec::new(),
                },
            }
        }
        Err(err) => Parsed::Invalid(format!("bad PROXY v1 header: {err}")),
    }
}

fn parse_v2(buf: &[u8], proxy: &Address) -> Parsed {
    const FIXED: usize = 16;
    if buf.len() < FIXED {
        return Parsed::Incomplete;
    }
    let len = FIXED + usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if len > MAX_HEADER_LEN {
        return Parsed::Invalid(format!(
            "PROXY v2 header of {len} bytes: more than {MAX_HEADER_LEN}"
        ));
    }
    if buf.len() < len {
        return Parsed::Incomplete;
    }
    let parsed = match v2::Header::try_from(&buf[..len]) {
        Ok(parsed) => parsed,
        Err(err) => return Parsed::Invalid(format!("bad PROXY v2 header: {err}")),
    };
    let mut tlvs = Vec::new();
    for tlv in parsed.tlvs() {
        match tlv {
            Ok(tlv) => tlvs.push(ProxyTlv {
                kind: tlv.kind,
                value: tlv.value.into_owned(),
            }),
            Err(err) => return Parsed::Invalid(format!("bad PROXY v2 TLV: {err}")),
        }
    }
    let (source, destination) = match (parsed.command, parsed.addresses) {
        (v2::Command::Local, _) => (None, None),
        (_, v2::Addresses::IPv4(ip)) => (
            Some(SocketAddr::from((ip.source_address, ip.source_port))),
            Some(SocketAddr::from((
                ip.destination_address,
                ip.destination_port,
            ))),
        ),
        (_, v2::Addresses::IPv6(ip)) => (
            Some(SocketAddr::from((ip.source_address, ip.source_port))),
            Some(SocketAddr::from((
                ip.destination_address,
                ip.destination_port,
            ))),
        ),
        (_, v2::Addresses::Unix(_) | v2::Addresses::Unspecified) => (None, None),
    };
    Parsed::Header {
        len,
        header: ProxyHeader {
            version: 2,
            source,
            destination,
            proxy: proxy.clone(),
            tlvs,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balancer() -> Address {
        Address::Inet("127.0.0.1:9999".parse().unwrap())
    }

    fn header(buf: &[u8]) -> (usize, ProxyHeader) {
        match parse(buf, &balancer()) {
            Parsed::Header { len, header } => (len, header),
            other => panic!("not a header: {other:?}"),
        }
    }

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut buf = V2_SIGNATURE.to_vec();
        buf.push(0x20 | command);
        buf.push(family);
        buf.extend_from_slice(&(body.len() as u16).to_be_bytes());
        buf.extend_from_slice(body);
        buf
    }

    #[test]
    fn v1_tcp4_and_tcp6_give_the_source_and_the_exact_length() {
        let line = b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\n";
        let (len, h) = header(&[&line[..], b"GET / HTTP/1.1\r\n"].concat());
        assert_eq!(len, line.len());
        assert_eq!(h.version, 1);
        assert_eq!(h.source, Some("192.0.2.7:40000".parse().unwrap()));
        assert_eq!(h.destination, Some("198.51.100.1:443".parse().unwrap()));
        let (_, h) = header(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n");
        assert_eq!(h.source, Some("[2001:db8::1]:1".parse().unwrap()));
        let (_, h) = header(b"PROXY UNKNOWN\r\n");
        assert_eq!(h.source, None);
    }

    #[test]
    fn every_prefix_of_a_header_is_incomplete() {
        let mut body = vec![192, 0, 2, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x09, 0xc4];
        body.extend_from_slice(&[0x02, 0, 3, b'a', b'.', b'b']);
        for whole in [
            b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 2500\r\n".to_vec(),
            v2(1, 0x11, &body),
        ] {
            for cut in 0..whole.len() {
                assert!(
                    matches!(parse(&whole[..cut], &balancer()), Parsed::Incomplete),
                    "{cut} bytes of {:?}",
                    whole.escape_ascii().to_string()
                );
            }
            assert_eq!(header(&whole).0, whole.len());
        }
    }

    #[test]
    fn v2_gives_addresses_and_tlvs_and_local_keeps_the_peer() {
        let mut body = vec![192, 0, 2, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x09, 0xc4];
        body.extend_from_slice(&[0x02, 0, 11]);
        body.extend_from_slice(b"example.com");
        let (len, h) = header(&v2(1, 0x11, &body));
        assert_eq!(len, 16 + body.len());
        assert_eq!(h.source, Some("192.0.2.7:40000".parse().unwrap()));
        assert_eq!(h.destination, Some("127.0.0.1:2500".parse().unwrap()));
        assert_eq!(h.authority(), Some("example.com"));
        let (_, h) = header(&v2(0, 0x00, &[]));
        assert_eq!(h.source, None, "LOCAL");
        assert_eq!(h.proxy, balancer());
    }

    #[test]
    fn garbage_and_bogus_lengths_are_invalid() {
        let mut bogus_tlv = vec![192, 0, 2, 7, 127, 0, 0, 1, 0, 1, 0, 2];
        bogus_tlv.extend_from_slice(&[0x02, 0, 200, b'x']);
        let short_addresses = v2(1, 0x11, &[1, 2, 3]);
        let cases: Vec<Vec<u8>> = vec![
            b"GET / HTTP/1.1\r\n".to_vec(),
            b"\x16\x03\x01\x02\x00".to_vec(),
            b"PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n".to_vec(),
            b"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n".to_vec(),
            [b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat(),
            v2(1, 0x11, &bogus_tlv),
            short_addresses,
            v2(5, 0x11, &[0; 12]),
            {
                let mut huge = v2(1, 0x11, &[]);
                huge[14..16].copy_from_slice(&u16::MAX.to_be_bytes());
                huge
            },
        ];
        for case in cases {
            assert!(
                matches!(parse(&case, &balancer()), Parsed::Invalid(_)),
                "{:?}",
                case.escape_ascii().to_string()
            );
        }
    }
}
