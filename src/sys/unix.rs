//! Unix specifics: errno classes and waiting for a socket to become writable.

use std::io;
use std::os::fd::RawFd;

/// Errors that mean "out of descriptors or kernel memory", worth a pause and a retry.
pub(crate) fn is_out_of_resources(errno: i32) -> bool {
    matches!(
        errno,
        libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM
    )
}

/// Errors `accept(2)` reports for one failed connection (Linux passes pending network
/// errors of the new socket to `accept`); the listener is fine.
pub(crate) fn is_transient_accept_error(errno: i32) -> bool {
    matches!(
        errno,
        libc::EINTR
            | libc::ECONNABORTED
            | libc::EPROTO
            | libc::EPERM
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH
            | libc::ETIMEDOUT
    )
}

/// Blocks until `fd` is writable (a datagram reply on the server's non-blocking socket).
pub(crate) fn wait_writable(fd: RawFd) -> io::Result<()> {
    let mut pollfd = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, and the count says one.
        let ready = unsafe { libc::poll(&mut pollfd, 1, -1) };
        if ready >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
