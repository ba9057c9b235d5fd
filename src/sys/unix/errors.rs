//! Error classes the serving loops act on, and the one helper every call here goes
//! through: a `-1` return turned into the thread's `errno`.

use std::io;

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

/// Turns a `-1` return into the thread's `errno`.
pub(in crate::sys) fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
