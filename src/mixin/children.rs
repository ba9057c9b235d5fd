//! The child processes of a forking server: forking, noticing exits, and reaping.
//!
//! Children are reaped by pid only, never with `waitpid(-1)` as Python does at its
//! limit: that would steal the exit status of processes the application started itself.
//! Each child sends its pid on a socket pair just before it exits, so the parent learns
//! which child is leaving without a `SIGCHLD` handler (a process-wide setting a library
//! must not take over), and can wait for exits with a deadline.
//!
//! Closing connections: the parent sends SIGTERM to its children, and a child serving a
//! connection has made SIGTERM shut down that connection's read half (see
//! [`SigtermBlocked::end_reads_on_sigterm`]), so its handler reads end-of-file, finishes
//! its reply and returns, as a thread's does after `BaseServer::close_connections`.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

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

/// The connection a child serves, for its SIGTERM handler; -1 when there is none.
///
/// Per process: each child has its own copy, set right after `fork`.
static CONNECTION_FD: AtomicI32 = AtomicI32::new(-1);

/// The value a SIGTERM carries (`sigqueue`) when the parent asks only the children whose
/// client has sent something to end their reads: the first step of a graceful stop.
const TALKERS_ONLY: usize = 1;

/// A child's SIGTERM handler: ends the reads of its connection, or, when the signal is the
/// parent's "talkers only" request, only if its client has sent a byte (a client that has
/// not may have its first request on the way: the parent asks again, for every child,
/// after a grace). Async-signal-safe: an atomic load, `getsockopt` and `shutdown`, with
/// `errno` kept for the code it interrupted.
extern "C" fn end_reads(_signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let fd = CONNECTION_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let saved = errno::errno();
    // SAFETY: `info` is the siginfo the kernel passed to this SA_SIGINFO handler.
    let talkers_only = unsafe { crate::sys::queued_value(info) } == Some(TALKERS_ONLY);
    // Where the kernel cannot say, the client is taken as silent: it gets the grace.
    if !talkers_only || crate::sys::tcp_has_received(fd) == Some(true) {
        // SAFETY: shutdown has no memory-safety preconditions; at worst it fails.
        unsafe { libc::shutdown(fd, libc::SHUT_RD) };
    }
    errno::set_errno(saved);
}

/// Keeps SIGTERM blocked on the forking thread from before `fork` until each side is
/// ready for it: the parent lets it through again at once (a SIGTERM sent meanwhile is
/// delivered then), a child once its own handler is in place, so a child asked to close
/// early is never killed by SIGTERM's default action instead.
pub(crate) struct SigtermBlocked {
    /// The thread's mask before, put back on drop.
    previous: libc::sigset_t,
}

impl SigtermBlocked {
    /// Blocks SIGTERM on the calling thread; `None` if the mask cannot be changed (then a
    /// child is unprotected until its handler is in place).
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: both sets are valid for the calls that fill them.
        unsafe {
            let mut block: libc::sigset_t = std::mem::zeroed();
            let mut previous: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut block);
            libc::sigaddset(&mut block, libc::SIGTERM);
            (libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut previous) == 0)
                .then_some(SigtermBlocked { previous })
        }
    }

    /// In a child serving the connection `fd`: from now on SIGTERM shuts down its read
    /// half instead of ending the process. Then SIGTERM is let through (even if the parent
    /// had it blocked: the child has taken it over). No allocation, no lock.
    pub(crate) fn end_reads_on_sigterm(mut self, fd: RawFd) {
        CONNECTION_FD.store(fd, Ordering::Relaxed);
        // With SA_RESTART: a read or write the signal interrupts goes on (the read then
        // sees the end). sigaction allocates nothing and takes no lock.
        if let Err(err) = crate::sys::set_signal_action(libc::SIGTERM, end_reads) {
            log::warn!("child cannot take SIGTERM over: {err}");
        }
        // SAFETY: `previous` is a valid set.
        unsafe { libc::sigdelset(&mut self.previous, libc::SIGTERM) };
    }
}

impl Drop for SigtermBlocked {
    fn drop(&mut self) {
        // SAFETY: `previous` is a valid set.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut()) };
    }
}

/// In a child, once its connection is closed: SIGTERM no longer touches that descriptor
/// (its number may be reused).
pub(crate) fn forget_connection() {
    CONNECTION_FD.store(-1, Ordering::Relaxed);
}

/// One child: its pid, and whether it serves a connection (and so takes SIGTERM as "end
/// your reads"; a datagram child keeps SIGTERM's default action).
#[derive(Debug, Clone, Copy)]
struct Child {
    pid: pid_t,
    serves_connection: bool,
}

/// The children of one server, by pid.
#[derive(Debug)]
pub(crate) struct Children {
    pids: Mutex<Vec<Child>>,
    /// `None` when the socket pair could not be made: exits are then found by polling
    /// only.
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
                log::warn!("no exit notices from child processes ({err}); finished children are noticed every poll_interval");
            })
            .ok();
        Children {
            pids: Mutex::new(Vec::new()),
            exits,
        }
    }

    fn pids(&self) -> MutexGuard<'_, Vec<Child>> {
        // A Vec of pids is never left half-changed by a panic.
        self.pids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, pid: pid_t, serves_connection: bool) {
        self.pids().push(Child {
            pid,
            serves_connection,
        });
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

    /// Sends `signal` to every child not reaped yet (only to those serving a connection
    /// when `connections_only`); returns how many it reached.
    pub(crate) fn signal_all(&self, signal: libc::c_int, connections_only: bool) -> usize {
        // SAFETY: kill has no memory-safety preconditions; `each` passes only our
        // children's pids.
        self.each(
            connections_only,
            |pid| unsafe { libc::kill(pid, signal) } == 0,
        )
    }

    /// Asks every child serving a connection whose client has sent something to end its
    /// reads (a SIGTERM carrying [`TALKERS_ONLY`]); the others go on. Returns how many
    /// were asked. Linux and Android only (`sigqueue`); elsewhere nobody is asked, and the
    /// graceful stop's grace applies to every child.
    pub(crate) fn signal_talkers(&self) -> usize {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return self.each(true, |pid| {
            crate::sys::queue_signal(pid, libc::SIGTERM, TALKERS_ONLY).is_ok()
        });
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        0
    }

    /// Calls `send` with the pid of every child not reaped yet (those serving a
    /// connection only, with `connections_only`); returns how many it reached. Holds the
    /// list's lock meanwhile, so no pid is reaped (and reused) while it is signalled:
    /// every pid is our child, alive or a zombie, and names no other process.
    fn each(&self, connections_only: bool, mut send: impl FnMut(pid_t) -> bool) -> usize {
        let pids = self.pids();
        pids.iter()
            .filter(|child| child.serves_connection || !connections_only)
            .filter(|child| send(child.pid))
            .count()
    }

    /// Reaps children as they exit until none is left or `deadline` passes; returns
    /// whether none is left. Sleeps on the exit notices (or, without them, polls every
    /// 10 ms).
    pub(crate) fn wait_all(&self, deadline: Instant) -> bool {
        loop {
            self.reap(Reap::Exited);
            if self.len() == 0 {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match &self.exits {
                Some(exits) => {
                    let millis = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
                    let _ = crate::sys::wait_fd(exits.read.as_raw_fd(), libc::POLLIN, millis);
                }
                None => std::thread::sleep(left.min(std::time::Duration::from_millis(10))),
            }
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
        pids.retain(|child| {
            let block = how == Reap::All || announced.contains(&child.pid);
            if !block && how == Reap::Announced {
                return true;
            }
            !wait_for(child.pid, block)
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

/// A datagram socket pair: each child sends its pid on `write` as it exits; only the
/// parent reads `read`. Every notice is one datagram, so notices never interleave.
#[derive(Debug)]
struct ExitNotices {
    read: UnixDatagram,
    write: UnixDatagram,
}

const PID_LEN: usize = std::mem::size_of::<pid_t>();

impl ExitNotices {
    fn new() -> io::Result<Self> {
        let (read, write) = UnixDatagram::pair()?;
        // Non-blocking both ways: a full socket must not stop a child from exiting (its
        // notice is then skipped; polling still reaps it), nor an empty one the loop.
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(ExitNotices { read, write })
    }

    /// One `send`: no allocation, no lock (the child may have been forked while another
    /// thread held one).
    fn announce(&self) {
        let pid = (std::process::id() as pid_t).to_ne_bytes();
        let _ = self.write.send(&pid);
    }

    fn take(&self) -> Vec<pid_t> {
        let mut pids = Vec::new();
        let mut buf = [0u8; PID_LEN];
        loop {
            match self.read.recv(&mut buf) {
                Ok(PID_LEN) => pids.push(pid_t::from_ne_bytes(buf)),
                Ok(_) => {} // not a notice: ignore
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return pids, // WouldBlock: nothing more
            }
        }
    }
}
