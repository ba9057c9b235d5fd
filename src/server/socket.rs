//! Making bound sockets with the options Python's `server_bind` applies, through socket2
//! (std's `TcpListener::bind` forces `SO_REUSEADDR` on and a backlog of 128), and
//! finding the socket a service manager passed (socket activation).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{FromRawFd, OwnedFd};
#[cfg(unix)]
use std::path::Path;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::options::SocketOptions;
use crate::{Error, Result};

/// Binds the first address of `addr` that works, as std's `bind` does; listens on stream
/// sockets. The socket is closed again if anything fails (no descriptor leaks). An error
/// names the address that failed.
pub(crate) fn bind_inet(
    addr: impl ToSocketAddrs,
    ty: Type,
    options: &SocketOptions,
    reuse_address: bool,
) -> Result<Socket> {
    let mut last_err = None;
    let addrs = addr
        .to_socket_addrs()
        .map_err(|err| Error::bind("the address", err))?;
    for addr in addrs {
        match bind_one(addr, ty, options, reuse_address) {
            Ok(socket) => return Ok(socket),
            Err(err) => last_err = Some(Error::bind(addr, err)),
        }
    }
    Err(last_err.unwrap_or_else(|| Error::NoAddress("bind".to_owned())))
}

fn bind_one(
    addr: SocketAddr,
    ty: Type,
    options: &SocketOptions,
    reuse_address: bool,
) -> io::Result<Socket> {
    let protocol = if ty == Type::STREAM {
        Protocol::TCP
    } else {
        Protocol::UDP
    };
    let socket = Socket::new(Domain::for_address(addr), ty, Some(protocol))?;
    if reuse_address {
        socket.set_reuse_address(true)?;
    }
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

/// Binds a Unix socket to `path` (which must not exist yet); listens on stream sockets.
/// `SO_REUSEPORT` is not set: Linux refuses it on Unix sockets.
#[cfg(unix)]
pub(crate) fn bind_unix(path: &Path, ty: Type, options: &SocketOptions) -> Result<Socket> {
    let bind = || -> io::Result<Socket> {
        let socket = Socket::new(Domain::UNIX, ty, None)?;
        socket.bind(&SockAddr::unix(path)?)?;
        if ty == Type::STREAM {
            socket.listen(options.request_queue_size)?;
        }
        Ok(socket)
    };
    bind().map_err(|err| Error::bind(path.display(), err))
}

/// The first descriptor systemd's convention passes (`sd_listen_fds`).
const LISTEN_FDS_START: i32 = 3;

/// The listening socket a service manager passed, by systemd's convention: `LISTEN_PID`
/// is this process and `LISTEN_FDS` at least 1; the socket is descriptor 3. The variables
/// are removed, so a child process does not take the socket again.
///
/// `None` when there is none. Several instances may each be passed the same socket: they
/// then share its accept queue.
pub(crate) fn take_listen_fd() -> Result<Option<OwnedFd>> {
    let var = |name| std::env::var(name).ok();
    let (Some(pid), Some(fds)) = (var("LISTEN_PID"), var("LISTEN_FDS")) else {
        return Ok(None);
    };
    if pid.trim().parse::<u32>().ok() != Some(crate::sys::pid()) {
        return Ok(None); // meant for another process (the parent that exec'd us)
    }
    let count: i32 = fds.trim().parse().map_err(|_| {
        Error::bind(
            "LISTEN_FDS",
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a number: {fds:?}"),
            ),
        )
    })?;
    // As `sd_listen_fds(1)`: the variables go, so a child process does not take the socket.
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    if count < 1 {
        return Ok(None);
    }
    if count > 1 {
        log::warn!("LISTEN_FDS={count}: serving descriptor {LISTEN_FDS_START}, the first");
    }
    // The descriptor must be open: the convention says so, and fcntl checks it.
    crate::sys::check_open(LISTEN_FDS_START)
        .map_err(|err| Error::bind(format!("inherited descriptor {LISTEN_FDS_START}"), err))?;
    // SAFETY: by the convention, descriptor 3 was passed to this process for it to own;
    // the variables that offered it are gone, so nothing else takes it.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(LISTEN_FDS_START) }))
}
