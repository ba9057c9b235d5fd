//! The serving loop's wake-up descriptor (an eventfd, or a pipe where there is none) and
//! the async-signal-safe write that wakes or stops a loop.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::errors::check;

/// The value written to stop a loop; plain wake-ups write 1. An eventfd adds what is
/// written, so one read tells a stop (a sum this large) from wake-ups.
#[cfg(any(target_os = "linux", target_os = "android"))]
const STOP: u64 = 1 << 40;

/// A serving loop's wake-up descriptor: an eventfd on Linux, a pipe elsewhere.
///
/// Writing to it is one `write(2)`: async-signal-safe, so a signal handler can stop a
/// loop. A forked child shares it with the server, so a child's exit wakes the server.
#[derive(Debug)]
pub(crate) struct WakeFd {
    read: OwnedFd,
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    write: OwnedFd,
}

impl WakeFd {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn new() -> io::Result<Self> {
        // SAFETY: eventfd takes no pointers.
        let fd = check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: eventfd returned a new descriptor that nothing else owns.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(WakeFd { read })
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn new() -> io::Result<Self> {
        let mut fds: [RawFd; 2] = [-1; 2];
        // SAFETY: `fds` has room for the two descriptors pipe writes.
        check(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
        // SAFETY: pipe succeeded: both descriptors are new and owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        for fd in [&read, &write] {
            set_fd_flag(
                fd.as_raw_fd(),
                libc::F_GETFD,
                libc::F_SETFD,
                libc::FD_CLOEXEC,
            )?;
            set_fd_flag(
                fd.as_raw_fd(),
                libc::F_GETFL,
                libc::F_SETFL,
                libc::O_NONBLOCK,
            )?;
        }
        Ok(WakeFd { read, write })
    }

    /// What the poller watches.
    pub(crate) fn poll_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// What a wake-up is written to (a signal handler keeps a copy of it).
    pub(crate) fn write_fd(&self) -> RawFd {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return self.read.as_raw_fd();
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        return self.write.as_raw_fd();
    }

    /// Wakes the loop without asking it to stop.
    pub(crate) fn wake(&self) {
        wake_fd(self.write_fd(), false);
    }

    /// Wakes the loop and asks it to stop.
    pub(crate) fn stop(&self) {
        wake_fd(self.write_fd(), true);
    }

    /// Empties the descriptor (so the next write is a new edge for the poller); returns
    /// whether a stop was written since the last call.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn take_stop(&self) -> bool {
        let mut sum = [0u8; 8];
        loop {
            // SAFETY: the buffer is valid for its length; an eventfd read is 8 bytes.
            let n = unsafe { libc::read(self.read.as_raw_fd(), sum.as_mut_ptr().cast(), 8) };
            if n == 8 {
                return u64::from_ne_bytes(sum) >= STOP;
            }
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false; // WouldBlock: nothing written since the last call
        }
    }

    /// Empties the descriptor (so the next write is a new edge for the poller); returns
    /// whether a stop was written since the last call.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn take_stop(&self) -> bool {
        let mut stop = false;
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: the buffer is valid for its length.
            let n =
                unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            let Ok(n) = usize::try_from(n) else {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return stop; // WouldBlock: empty
            };
            stop |= buf[..n].contains(&1);
            if n < buf.len() {
                return stop;
            }
        }
    }
}

/// One write to a wake-up descriptor; async-signal-safe (no allocation, no lock, `errno`
/// kept). A full descriptor already wakes the loop, so a failed write loses nothing.
pub(crate) fn wake_fd(fd: RawFd, stop: bool) {
    let saved = errno::errno();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let value = (if stop { STOP } else { 1 }).to_ne_bytes();
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let value = [u8::from(stop)];
    // SAFETY: the buffer is valid for its length.
    let _ = unsafe { libc::write(fd, value.as_ptr().cast(), value.len()) };
    errno::set_errno(saved);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_fd_flag(fd: RawFd, get: i32, set: i32, flag: i32) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments.
    let flags = check(unsafe { libc::fcntl(fd, get) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, set, flags | flag) })?;
    Ok(())
}
