//! Making bound sockets with the options Python's `server_bind` applies, through socket2
//! (std's `TcpListener::bind` forces `SO_REUSEADDR` on and a backlog of 128).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

use super::builder::SocketOptions;
use crate::{Error, Result};

/// Binds the first address of `addr` that works, as std's `bind` does; listens on stream
/// sockets. The socket is closed again if anything fails (no descriptor leaks).
pub(crate) fn bind_inet(
    addr: impl ToSocketAddrs,
    ty: Type,
    options: &SocketOptions,
) -> Result<Socket> {
    let mut last_err = None;
    for addr in addr.to_socket_addrs()? {
        match bind_one(addr, ty, options) {
            Ok(socket) => return Ok(socket),
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.map_or(Error::NoAddress, Error::Io))
}

fn bind_one(addr: SocketAddr, ty: Type, options: &SocketOptions) -> io::Result<Socket> {
    let protocol = if ty == Type::STREAM {
        Protocol::TCP
    } else {
        Protocol::UDP
    };
    let socket = Socket::new(Domain::for_address(addr), ty, Some(protocol))?;
    if options.allow_reuse_address {
        socket.set_reuse_address(true)?;
    }
    #[cfg(unix)]
    if options.allow_reuse_port {
        socket.set_reuse_port(true)?;
    }
    if let (SocketAddr::V6(_), Some(only_v6)) = (addr, options.only_v6) {
        socket.set_only_v6(only_v6)?;
    }
    socket.bind(&addr.into())?;
    if ty == Type::STREAM {
        socket.listen(options.request_queue_size)?;
    }
    Ok(socket)
}
