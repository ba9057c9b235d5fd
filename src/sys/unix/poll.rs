//! Waiting on one or two descriptors with `poll(2)`, for the blocking paths that do not
//! use mio.

use std::io;
use std::os::fd::RawFd;

/// Blocks until `fd` is readable or writable (`events` is `POLLIN` or `POLLOUT`), or
/// until `timeout_ms` passes (-1: no limit). Returns whether it became ready.
pub(crate) fn wait_fd(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> io::Result<bool> {
    let mut pollfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, and the count says one.
        let ready = unsafe { libc::poll(&mut pollfd, 1, timeout_ms) };
        if ready >= 0 {
            return Ok(ready > 0);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Blocks until `a` or `b` is readable (or hung up), or until `timeout` passes (`None`: no
/// limit); returns which were ready. A descriptor of -1 is not watched.
pub(crate) fn wait_either(
    a: RawFd,
    b: RawFd,
    timeout: Option<std::time::Duration>,
) -> io::Result<(bool, bool)> {
    let mut fds = [
        libc::pollfd {
            fd: a,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: b,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let millis = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    loop {
        // SAFETY: two valid pollfds, and the count says two.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) };
        if ready >= 0 {
            return Ok((fds[0].revents != 0, fds[1].revents != 0));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
