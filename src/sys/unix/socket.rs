//! Sockets: what an inherited descriptor is (type, listening, family), whether a TCP
//! connection has received anything, the event loop's non-blocking accept, and the
//! filter with which a stopping listener refuses new connections.

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
    let ty = int_option(fd, libc::SO_TYPE)?;
    let listening = int_option(fd, libc::SO_ACCEPTCONN)? != 0;
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

/// The `SOL_SOCKET` option `name` of socket `fd`, an int.
fn int_option(fd: RawFd, name: libc::c_int) -> io::Result<libc::c_int> {
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

/// Makes the listening TCP socket `fd` ignore new connection requests while the
/// handshakes under way still complete: a socket filter (classic BPF) drops every segment
/// with SYN set and ACK clear. A client whose SYN is dropped sends it again about a second
/// later and then finds the port closed (refused, which a balancer retries elsewhere),
/// instead of being accepted by the kernel and reset when the socket closes.
///
/// Linux only; `Unsupported` elsewhere and for sockets that are not TCP (a filter on a
/// Unix listener would not see connection requests). The filter belongs to the socket,
/// not the descriptor: a caller must not set it on a socket other processes share.
pub(crate) fn refuse_new_connections(fd: RawFd) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        if int_option(fd, libc::SO_PROTOCOL)? != libc::IPPROTO_TCP {
            return Err(io::ErrorKind::Unsupported.into());
        }
        // A TCP socket's filter sees the segment from its TCP header on: byte 13 holds
        // the flags (ACK 0x10, SYN 0x02).
        let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
            code: code as u16,
            jt,
            jf,
            k,
        };
        let mut program = [
            op(libc::BPF_LD | libc::BPF_B | libc::BPF_ABS, 0, 0, 13),
            op(libc::BPF_ALU | libc::BPF_AND | libc::BPF_K, 0, 0, 0x12),
            op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, 0, 1, 0x02),
            op(libc::BPF_RET | libc::BPF_K, 0, 0, 0), // a bare SYN: dropped
            op(libc::BPF_RET | libc::BPF_K, 0, 0, u32::MAX), // the rest: kept whole
        ];
        let fprog = libc::sock_fprog {
            len: program.len() as u16,
            filter: program.as_mut_ptr(),
        };
        // SAFETY: `fprog` points at `program`, which outlives the call; the kernel copies
        // the program.
        check(unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                (&fprog as *const libc::sock_fprog).cast(),
                std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        })?;
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = fd;
        Err(io::ErrorKind::Unsupported.into())
    }
}
