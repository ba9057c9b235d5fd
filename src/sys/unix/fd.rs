//! Descriptors themselves: duplicating one (onto a given number, atomically), checking
//! that one is open, and `/dev/null` for a slot nobody uses.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::errors::check;

/// A new descriptor for the same open file as `fd`, close-on-exec.
pub(crate) fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl with integer arguments.
    let new = check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: fcntl returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Fails unless `fd` is an open descriptor.
pub(crate) fn check_open(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl with integer arguments.
    check(unsafe { libc::fcntl(fd, libc::F_GETFD) }).map(drop)
}

/// Makes descriptor number `target` refer to what `fd` refers to, atomically: a signal
/// handler writing to `target` meanwhile reaches the old file or the new one, never a
/// closed or reused number.
pub(crate) fn dup_onto(fd: RawFd, target: RawFd) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: dup3 with integer arguments; `target` is a descriptor the caller owns.
    check(unsafe { libc::dup3(fd, target, libc::O_CLOEXEC) })?;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // SAFETY: dup2 with integer arguments; `target` is a descriptor the caller owns.
        check(unsafe { libc::dup2(fd, target) })?;
        // SAFETY: fcntl with integer arguments.
        check(unsafe { libc::fcntl(target, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    }
    Ok(())
}

/// Opens `/dev/null` for writing: where a signal slot points while no server uses it.
pub(crate) fn open_dev_null() -> io::Result<OwnedFd> {
    let file = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    Ok(file.into())
}
