//! Reads and sends std does not offer: into a buffer's spare capacity, a receive that
//! never blocks (or only peeks), several datagrams in one call (`recvmmsg(2)`), and
//! `sendfile(2)` for the file server.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;

/// Reads from `fd` into the spare capacity of `buf` (at most `max` bytes) and extends
/// `buf` by what was read. The spare capacity is never zero-filled first, so a buffer
/// that is allocated but not yet used costs no resident memory.
pub(crate) fn read_into_spare(fd: RawFd, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let spare: &mut [MaybeUninit<u8>] = buf.spare_capacity_mut();
    let len = spare.len().min(max);
    // SAFETY: `spare` is valid for writes of `len` bytes; `read` writes at most that.
    let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), len) };
    let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
    // SAFETY: `read` initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Receives into `buf` without blocking (`WouldBlock` when nothing is there); with
/// `peek`, leaves the bytes queued for the next receive.
pub(crate) fn recv_now(fd: RawFd, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    let flags = libc::MSG_DONTWAIT | if peek { libc::MSG_PEEK } else { 0 };
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `recv` writes at most that.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// How many datagrams [`recv_datagrams`] takes in one call at most: one where the system
/// has no `recvmmsg`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) const DATAGRAM_BATCH: usize = 8;
/// How many datagrams [`recv_datagrams`] takes in one call at most: one where the system
/// has no `recvmmsg`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) const DATAGRAM_BATCH: usize = 1;

/// Receives up to `bufs.len()` (at most [`DATAGRAM_BATCH`]) datagrams from the UDP socket
/// `fd` without blocking, in one system call: each into the spare capacity of one of
/// `bufs` (which it replaces; at most `max` bytes are kept, a longer datagram is cut), and
/// its sender into the same place of `from` (`None`: not an IP address).
///
/// Returns how many came. Fewer than there was room for means the socket's queue was
/// empty after them, which a caller polling edge-triggered can trust instead of spending
/// another receive on learning it. `WouldBlock` when none was waiting.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn recv_datagrams(
    fd: RawFd,
    bufs: &mut [Vec<u8>],
    max: usize,
    from: &mut [Option<std::net::SocketAddr>; DATAGRAM_BATCH],
) -> io::Result<usize> {
    use socket2::{SockAddr, SockAddrStorage};
    let count = bufs.len().min(DATAGRAM_BATCH);
    let mut names: [SockAddrStorage; DATAGRAM_BATCH] =
        std::array::from_fn(|_| SockAddrStorage::zeroed());
    // SAFETY: all-zero iovecs and mmsghdrs (null pointers, zero lengths) are valid values,
    // each set below before the kernel sees it.
    let mut iovecs: [libc::iovec; DATAGRAM_BATCH] = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut headers: [libc::mmsghdr; DATAGRAM_BATCH] = unsafe { std::mem::zeroed() };
    for (i, buf) in bufs[..count].iter_mut().enumerate() {
        buf.clear();
        buf.reserve(max);
        let spare: &mut [MaybeUninit<u8>] = buf.spare_capacity_mut();
        iovecs[i] = libc::iovec {
            iov_base: spare.as_mut_ptr().cast(),
            iov_len: max,
        };
        let header = &mut headers[i].msg_hdr;
        header.msg_name = (&mut names[i] as *mut SockAddrStorage).cast();
        header.msg_namelen = names[i].size_of();
        header.msg_iov = &mut iovecs[i];
        header.msg_iovlen = 1;
    }
    // SAFETY: the first `count` headers point at `max` writable bytes of spare capacity
    // of their buffer and at a whole address storage, all alive for the call; the kernel
    // writes at most that, and `msg_len`, `msg_namelen` and `msg_flags` of each header.
    let n = unsafe {
        libc::recvmmsg(
            fd,
            headers.as_mut_ptr(),
            count as libc::c_uint,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
    for i in 0..n {
        let len = (headers[i].msg_len as usize).min(max);
        // SAFETY: the kernel initialised the first `msg_len` bytes of the spare capacity
        // (a datagram longer than `max` is cut, so len <= max).
        unsafe { bufs[i].set_len(len) };
        let name = std::mem::replace(&mut names[i], SockAddrStorage::zeroed());
        // SAFETY: the kernel wrote a socket address of `msg_namelen` bytes into `name`.
        let name = unsafe { SockAddr::new(name, headers[i].msg_hdr.msg_namelen) };
        from[i] = name.as_socket();
    }
    Ok(n)
}

/// Receives one datagram from the UDP socket `fd` without blocking, where the system has
/// no `recvmmsg`: as the Linux version with a batch of one.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn recv_datagrams(
    fd: RawFd,
    bufs: &mut [Vec<u8>],
    max: usize,
    from: &mut [Option<std::net::SocketAddr>; DATAGRAM_BATCH],
) -> io::Result<usize> {
    use std::os::fd::BorrowedFd;
    let Some(buf) = bufs.first_mut() else {
        return Ok(0);
    };
    buf.clear();
    buf.reserve(max);
    // SAFETY: the caller's socket stays open for the call.
    let socket = socket2::SockRef::from(unsafe { &BorrowedFd::borrow_raw(fd) });
    let (n, name) = socket.recv_from(&mut buf.spare_capacity_mut()[..max])?;
    // SAFETY: recv_from initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(n.min(max)) };
    from[0] = name.as_socket();
    Ok(1)
}

/// Sends `len` bytes of the file `file` from `offset` to the socket `socket` with
/// `sendfile(2)`: the kernel moves the pages, nothing is copied through user space.
/// Returns how many bytes were sent: fewer than `len` only when the file ended first.
/// A socket timeout is a `WouldBlock` error, as for `write`.
///
/// `std::io::copy` from a `File` to a `TcpStream` does not do this (it avoids
/// `sendfile` because a file changed while its pages sit in the socket buffer could
/// send the new bytes); a file server sends files as they are, so it calls it itself.
#[cfg(all(feature = "http", any(target_os = "linux", target_os = "android")))]
pub(crate) fn sendfile_all(socket: RawFd, file: RawFd, offset: u64, len: u64) -> io::Result<u64> {
    let mut off = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file offset too large"))?;
    let mut sent = 0;
    while sent < len {
        // At most 1 GiB per call: the kernel caps a call at about 2 GiB anyway.
        let count = usize::try_from((len - sent).min(1 << 30)).unwrap_or(1 << 30);
        // SAFETY: both descriptors are open for the call; `off` is a valid pointer.
        let n = unsafe { libc::sendfile(socket, file, &mut off, count) };
        match n {
            0 => break,
            n if n > 0 => sent += n as u64,
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
    Ok(sent)
}
