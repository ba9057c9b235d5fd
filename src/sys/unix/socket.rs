//! Sockets: what an inherited descriptor is (type, listening, family), whether a TCP
//! connection has received anything, and the event loop's non-blocking accept.

use std::io;
use std::os::fd::{FromRawFd, RawFd};

use super::errors::check;

/// Whether the TCP connection `fd` has received any byte from its client
/// (`tcpi_bytes_received`, Linux 4.1 on); `None` when the kernel does not say (not TCP,
/// an older kernel, another system). Async-signal-safe: one `getsockopt`.
pub(crate) fn tcp_has_received(fd: RawFd) -> Option<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // `struct tcp_info` up to `tcpi_bytes_received`, a u64 at offset 128.
        const BYTES_RECEIVED: usize = 128;
        let mut info = [0u64; 17];
        let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
        // SAFETY: `info` and `len` are valid for getsockopt to write `len` bytes into.
        let got = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                info.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if got != 0 || (len as usize) < BYTES_RECEIVED + 8 {
            return None;
        }
        Some(info[BYTES_RECEIVED / 8] > 0)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = fd;
        None
    }
}

/// The type of socket `fd` is, and whether it listens: `(SO_TYPE, SO_ACCEPTCONN,
/// address family)`.
pub(crate) fn socket_shape(fd: RawFd) -> io::Result<(libc::c_int, bool, libc::c_int)> {
    let int_option = |name| -> io::Result<libc::c_int> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for getsockopt to write an int into.
        check(unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                name,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        Ok(value)
    };
    let ty = int_option(libc::SO_TYPE)?;
    let listening = int_option(libc::SO_ACCEPTCONN)? != 0;
    // SAFETY: an all-zero sockaddr_storage is a valid value to be overwritten.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `addr` and `len` are valid for getsockname to write into.
    check(unsafe {
        libc::getsockname(
            fd,
            (&mut addr as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    })?;
    Ok((ty, listening, libc::c_int::from(addr.ss_family)))
}

/// Accepts one connection on listening socket `fd`, non-blocking and close-on-exec in one
/// call (`accept4`), for the event loop: no `fcntl` per connection.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn accept_nonblocking(
    fd: RawFd,
) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
    // SAFETY: `try_init` hands a zeroed sockaddr_storage and its length, which accept4
    // fills in; the descriptor it returns is new and owned by the TcpStream made below.
    let (new_fd, addr) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            check(libc::accept4(
                fd,
                storage.cast(),
                len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            ))
        })?
    };
    // SAFETY: accept4 returned a new descriptor that nothing else owns.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(new_fd) };
    let addr = addr
        .as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "accepted a non-IP peer"))?;
    Ok((stream, addr))
}

/// Elsewhere: accept, then make the connection non-blocking.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn accept_nonblocking(
    fd: RawFd,
) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
    use std::mem::ManuallyDrop;
    // SAFETY: the listener is borrowed for one call and never closed here.
    let listener = ManuallyDrop::new(unsafe { std::net::TcpListener::from_raw_fd(fd) });
    let (stream, addr) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok((stream, addr))
}
