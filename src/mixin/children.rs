//! The child processes of a forking server: forking, noticing exits, and reaping.
//!
//! Children are reaped by pid only, never with `waitpid(-1)` as Python does at its
//! limit: that would steal the exit status of processes the application started itself.
//! Each child writes its pid to a pipe just before it exits, so the parent learns which
//! child is leaving without a `SIGCHLD` handler (a process-wide setting a library must not
//! take over).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard, PoisonError};

use libc::pid_t;

/// What `fork` returned, on each side.
pub(crate) enum Forked {
    /// In the new process.
    Child,
    /// In the server, with the child's pid.
    Parent(pid_t),
}

/// Forks the calling process. Only the calling thread exists in the child.
pub(crate) fn fork() -> io::Result<Forked> {
    // SAFETY: fork has no memory-safety preconditions of its own; what the child may do
    // afterwards is restricted by the caller (run the request, then `_exit`).
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// Whether `fd` is a listening socket (`SO_ACCEPTCONN`), as a stream server's is.
pub(crate) fn is_listening(fd: RawFd) -> bool {
    let mut accepting: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `accepting` and `len` are valid for getsockopt to write an int into.
    let done = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut accepting as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    done == 0 && accepting != 0
}

/// Closes the child's copy of the server's listening socket: the child never accepts,
/// and a copy left open would keep the port taking clients after the server is closed.
/// The `TcpListener` that owned it is never used or dropped in the child (`_exit`).
pub(crate) fn close_in_child(fd: RawFd) {
    // SAFETY: in the child, nothing uses `fd` after this.
    unsafe { libc::close(fd) };
}

/// Ends the calling process at once: no destructors, no `atexit` handlers, no flushing of
/// stdio buffers copied from the parent (they would be written twice).
pub(crate) fn exit_now(status: i32) -> ! {
    // SAFETY: `_exit` is always safe to call; it does not return.
    unsafe { libc::_exit(status) }
}

/// The children of one server, by pid.
#[derive(Debug)]
pub(crate) struct Children {
    pids: Mutex<Vec<pid_t>>,
    /// `None` when the pipe could not be made: exits are then found by polling only.
    exits: Option<ExitNotices>,
}

/// How a reaping pass waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reap {
    /// Reap only children that announced their exit (they are in `_exit`: a blocking
    /// wait for them returns at once).
    Announced,
    /// Also ask every other child, without blocking.
    Exited,
    /// Wait for every child to exit.
    All,
}

impl Children {
    pub(crate) fn new() -> Self {
        let exits = ExitNotices::new()
            .inspect_err(|err| {
                log::warn!("no exit pipe for child processes ({err}); finished children are noticed every poll_interval");
            })
            .ok();
        Children {
            pids: Mutex::new(Vec::new()),
            exits,
        }
    }

    fn pids(&self) -> MutexGuard<'_, Vec<pid_t>> {
        // A Vec of pids is never left half-changed by a panic.
        self.pids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, pid: pid_t) {
        self.pids().push(pid);
    }

    pub(crate) fn len(&self) -> usize {
        self.pids().len()
    }

    /// In the child, just before it exits: tells the parent which child is leaving.
    /// Allocates nothing and takes no lock.
    pub(crate) fn announce_exit(&self) {
        if let Some(exits) = &self.exits {
            exits.announce();
        }
    }

    /// Reaps what `how` says and logs how each child ended.
    pub(crate) fn reap(&self, how: Reap) {
        // Announcements are read before any other wait, so one never outlives its child's
        // reaping long enough to name a recycled pid (a fork comes only after a reap).
        let announced = self
            .exits
            .as_ref()
            .map(ExitNotices::take)
            .unwrap_or_default();
        let mut pids = self.pids();
        pids.retain(|&pid| {
            let block = how == Reap::All || announced.contains(&pid);
            if !block && how == Reap::Announced {
                return true;
            }
            !wait_for(pid, block)
        });
    }
}

/// Waits for `pid` (blocking or not); logs its end. Returns whether it is gone.
fn wait_for(pid: pid_t, block: bool) -> bool {
    let flags = if block { 0 } else { libc::WNOHANG };
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid place for the exit status.
        match unsafe { libc::waitpid(pid, &mut status, flags) } {
            0 => return false, // still running
            -1 => {
                let err = io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    // Someone else reaped it (a `waitpid(-1)` elsewhere, SIGCHLD ignored).
                    Some(libc::ECHILD) => {
                        log::debug!("child {pid} was reaped elsewhere");
                        return true;
                    }
                    _ => {
                        log::error!("waitpid({pid}) failed: {err}");
                        return false;
                    }
                }
            }
            _ => {
                log_exit(pid, status);
                return true;
            }
        }
    }
}

fn log_exit(pid: pid_t, status: i32) {
    if libc::WIFEXITED(status) {
        match libc::WEXITSTATUS(status) {
            0 => log::debug!("child {pid} exited"),
            code => log::warn!("child {pid} exited with status {code}"),
        }
    } else if libc::WIFSIGNALED(status) {
        log::warn!(
            "child {pid} was killed by signal {}",
            libc::WTERMSIG(status)
        );
    } else {
        log::warn!("child {pid} ended with wait status {status:#x}");
    }
}

/// A pipe each child writes its pid to as it exits; only the parent reads it.
#[derive(Debug)]
struct ExitNotices {
    read: OwnedFd,
    write: OwnedFd,
}

const PID_LEN: usize = std::mem::size_of::<pid_t>();

impl ExitNotices {
    fn new() -> io::Result<Self> {
        let mut fds: [RawFd; 2] = [-1; 2];
        // SAFETY: `fds` has room for the two descriptors pipe writes.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } == -1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe succeeded: both descriptors are open and owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        for fd in [&read, &write] {
            // Non-blocking both ways: a full pipe must not stop a child from exiting (its
            // notice is then skipped; polling still reaps it), nor an empty one the loop.
            set_flag(
                fd.as_raw_fd(),
                libc::F_GETFD,
                libc::F_SETFD,
                libc::FD_CLOEXEC,
            )?;
            set_flag(
                fd.as_raw_fd(),
                libc::F_GETFL,
                libc::F_SETFL,
                libc::O_NONBLOCK,
            )?;
        }
        Ok(ExitNotices { read, write })
    }

    fn announce(&self) {
        // SAFETY: getpid cannot fail.
        let pid = unsafe { libc::getpid() }.to_ne_bytes();
        // One write of PID_LEN (< PIPE_BUF) bytes is atomic: notices never interleave.
        // SAFETY: the buffer is valid for its length.
        let _ = unsafe { libc::write(self.write.as_raw_fd(), pid.as_ptr().cast(), PID_LEN) };
    }

    fn take(&self) -> Vec<pid_t> {
        let mut pids = Vec::new();
        let mut buf = [0u8; PID_LEN * 64];
        loop {
            // SAFETY: the buffer is valid for its length.
            let n =
                unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            let Ok(n) = usize::try_from(n) else {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break; // WouldBlock: nothing more
            };
            // Every write is PID_LEN bytes and the buffer a multiple of it, so reads
            // return whole notices.
            pids.extend(
                buf[..n]
                    .chunks_exact(PID_LEN)
                    .filter_map(|chunk| chunk.try_into().ok())
                    .map(pid_t::from_ne_bytes),
            );
            if n < buf.len() {
                break;
            }
        }
        pids
    }
}

fn set_flag(fd: RawFd, get: i32, set: i32, flag: i32) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments.
    let flags = unsafe { libc::fcntl(fd, get) };
    if flags == -1 || unsafe { libc::fcntl(fd, set, flags | flag) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
