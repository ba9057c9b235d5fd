//! Reads and sends std does not offer: into a buffer's spare capacity, a receive that
//! never blocks (or only peeks), and `sendfile(2)` for the file server.

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
