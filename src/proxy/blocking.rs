//! Reading a PROXY header from a blocking connection, where its request runs: exactly the
//! header's bytes are consumed, so what follows is the handler's (or TLS's) to read.
//!
//! Each step peeks at what has arrived and consumes only bytes that [`parse`] says belong
//! to the header: all of them while it is incomplete, exactly its length once it is
//! whole. Usually the header comes in one segment: one peek, one read.

use std::os::fd::AsRawFd;
use std::time::Instant;

use super::{parse, Parsed, ProxyHeader, ProxyProtocol, MAX_HEADER_LEN};
use crate::{Address, Connection, Error, Result};

/// Reads the header at the start of `connection`, whose socket peer is `peer`.
pub(crate) fn read_header(
    connection: &Connection,
    peer: &Address,
    config: &ProxyProtocol,
) -> Result<ProxyHeader> {
    if let Address::Inet(addr) = peer {
        if !config.trusts(addr.ip()) {
            return Err(Error::Proxy(format!(
                "{addr} is not a trusted PROXY protocol source"
            )));
        }
    }
    let fd = connection.as_raw_fd();
    let deadline = Instant::now() + config.timeout();
    let mut buf = [0u8; MAX_HEADER_LEN];
    let mut have = 0;
    loop {
        let peeked = match crate::sys::recv_now(fd, &mut buf[have..], true) {
            Ok(0) => {
                return Err(Error::Proxy(
                    "the connection ended before its PROXY header".into(),
                ))
            }
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                let millis = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
                if left.is_zero() || !crate::sys::wait_fd(fd, libc::POLLIN, millis.max(1))? {
                    return Err(Error::Proxy(format!(
                        "no complete PROXY header within {:?}",
                        config.timeout()
                    )));
                }
                continue;
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(Error::Io(err)),
        };
        let (take, header) = match parse(&buf[..have + peeked], peer) {
            Parsed::Incomplete => (peeked, None),
            Parsed::Header { len, header } => (len - have, Some(header)),
            Parsed::Invalid(why) => return Err(Error::Proxy(why)),
        };
        consume(fd, &mut buf[have..have + take])?;
        have += take;
        if let Some(header) = header {
            return Ok(header);
        }
    }
}

/// Reads exactly `buf.len()` bytes that a peek has shown are there.
fn consume(fd: std::os::fd::RawFd, mut buf: &mut [u8]) -> Result<()> {
    while !buf.is_empty() {
        match crate::sys::recv_now(fd, buf, false) {
            Ok(0) => {
                return Err(Error::Proxy(
                    "the connection ended in its PROXY header".into(),
                ))
            }
            Ok(n) => buf = &mut buf[n..],
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Error::Io(err)),
        }
    }
    Ok(())
}
