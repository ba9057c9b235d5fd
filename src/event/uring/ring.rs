//! The ring itself: made at the start of a serving period, submissions pushed and
//! completions reaped, the turn's one `io_uring_enter`, and winding it down at the end
//! (or leaking the buffers if the kernel will not let go of them).

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use io_uring::types::{CancelBuilder, Fd, SubmitArgs, Timespec};
use io_uring::{cqueue, opcode, squeue, IoUring};

use super::op::{decode, user_data, Op};
use super::{Uring, BGID, BUFFERS, RING_ENTRIES};

impl Uring {
    /// Queues a submission, submitting what is queued first if the queue is full.
    ///
    /// # Safety
    ///
    /// Whatever `entry` points to must stay valid until its completion.
    /// Only called while a ring is up (`start` to `stopped`).
    pub(super) unsafe fn push(&mut self, entry: &squeue::Entry) {
        let Some(ring) = self.ring.as_mut() else {
            debug_assert!(false, "io_uring: a submission with no ring up");
            return;
        };
        loop {
            // SAFETY: passed on from the caller.
            if unsafe { ring.submission().push(entry) }.is_ok() {
                self.inflight += 1;
                return;
            }
            if let Err(err) = ring.submit() {
                if err.raw_os_error() != Some(libc::EBUSY) {
                    log::error!("io_uring submit: {err}");
                }
                for cqe in ring.completion() {
                    self.completions
                        .push((cqe.user_data(), cqe.result(), cqe.flags()));
                }
            }
        }
    }

    /// Takes the completion queue's entries into `completions`.
    pub(super) fn reap(&mut self) {
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        for cqe in ring.completion() {
            self.completions
                .push((cqe.user_data(), cqe.result(), cqe.flags()));
        }
    }

    /// Makes this thread's ring and puts every connection on it: receives armed, sends
    /// cancelled with the last ring sent again. False if a ring is already up.
    pub(crate) fn start(&mut self) -> io::Result<bool> {
        if self.ring.is_some() {
            return Ok(false);
        }
        let ring = build_ring()?;
        // The buffer ring starts afresh (the kernel's head does too): every buffer not
        // holding received bytes is free.
        let mut held = vec![false; usize::from(BUFFERS)];
        for io in self.conns.iter().flatten() {
            for &(bid, ..) in &io.inbox {
                held[usize::from(bid)] = true;
            }
        }
        self.bufs.reset(|bid| held[usize::from(bid)]);
        self.armed = 0;
        // SAFETY: the ring memory lives in `bufs`, which outlives every ring: `stopped`
        // unregisters it, and leaks it if a ring could not be wound down.
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(self.bufs.address(), BUFFERS, BGID, 0)?;
        }
        self.ring = Some(ring);
        self.mio_armed = false;
        self.starved.clear();
        for key in 0..self.conns.len() {
            if let Some(io) = self.conns[key].as_mut() {
                if io.resend {
                    io.resend = false;
                    self.send_rest(key);
                }
            }
            if self.conns[key]
                .as_ref()
                .is_some_and(|io| io.inbox.is_empty())
            {
                self.arm(key);
            }
        }
        Ok(true)
    }

    /// Starts winding the ring down: every operation on it is cancelled, and nothing new
    /// is submitted. The loop then takes completions until `inflight` is 0 and calls
    /// `stopped`.
    pub(super) fn begin_stop(&mut self) {
        if self.ring.is_none() {
            return;
        }
        self.stopping = true;
        let entry = opcode::AsyncCancel2::new(CancelBuilder::any())
            .build()
            .user_data(user_data(Op::Cancel, 0, 0));
        // SAFETY: a cancel points to no memory.
        unsafe { self.push(&entry) };
    }

    /// The ring is wound down (or could not be): dropped, or leaked with the buffers if
    /// the kernel still has operations on them.
    pub(super) fn stopped(&mut self) {
        self.stopping = false;
        let Some(ring) = self.ring.take() else {
            return;
        };
        if self.inflight > 0 {
            log::error!(
                "io_uring: {} operations still in the kernel at the end of serving: their buffers are leaked",
                self.inflight
            );
            std::mem::forget(ring);
            self.leak();
            return;
        }
        self.graves.clear();
        if let Err(err) = ring.submitter().unregister_buf_ring(BGID) {
            log::error!("io_uring: unregistering the receive buffers: {err}");
        }
    }

    /// What `stopped` does when the kernel may still write into the buffers: they are
    /// never freed.
    fn leak(&mut self) {
        self.bufs.leak();
        for (_, grave) in self.graves.drain() {
            std::mem::forget(grave);
        }
        for io in self.conns.drain(..).flatten() {
            std::mem::forget(io.send);
        }
        self.inflight = 0;
    }

    /// Arms the multishot poll of mio's epoll descriptor (the listener and the waker).
    pub(super) fn arm_mio(&mut self, epoll: RawFd) {
        if self.mio_armed || self.ring.is_none() || self.stopping {
            return;
        }
        self.mio_armed = true;
        let entry = opcode::PollAdd::new(Fd(epoll), libc::POLLIN as u32)
            .multi(true)
            .build()
            .user_data(user_data(Op::Mio, 0, 0));
        // SAFETY: a poll points to no memory.
        unsafe { self.push(&entry) };
    }

    /// The turn's one system call: submits what the turn queued and waits for a
    /// completion, at most `timeout` (`None`: without limit; zero: does not wait).
    pub(super) fn enter(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let Some(ring) = self.ring.as_mut() else {
            return Ok(());
        };
        let ready = !ring.completion().is_empty();
        let result = match timeout {
            _ if ready => ring.submit(),
            Some(timeout) if timeout.is_zero() => ring.submit(),
            Some(timeout) => {
                let ts = Timespec::from(timeout);
                let args = SubmitArgs::new().timespec(&ts);
                ring.submitter().submit_with_args(1, &args)
            }
            None => ring.submit_and_wait(1),
        };
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY)
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

impl Drop for Uring {
    /// Cancels every operation and waits (briefly) for the kernel to let go of the
    /// buffers it was lent; if it does not, they are leaked rather than freed under it.
    fn drop(&mut self) {
        if self.ring.is_none() {
            return; // wound down at the end of serving: nothing in the kernel
        }
        self.begin_stop();
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.inflight > 0 && Instant::now() < deadline {
            let _ = self.enter(Some(Duration::from_millis(10)));
            self.reap();
            for (data, _, flags) in std::mem::take(&mut self.completions) {
                let (op, ..) = decode(data);
                if op != Op::Mio || !cqueue::more(flags) {
                    self.inflight = self.inflight.saturating_sub(1);
                }
            }
        }
        self.stopped();
    }
}

/// A ring with `DEFER_TASKRUN` where the kernel has it (6.1), else a plain one.
pub(super) fn build_ring() -> io::Result<IoUring> {
    let deferred = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        // Tells `submit` that finished work waits to be run (an enter is due).
        .setup_taskrun_flag()
        .build(RING_ENTRIES);
    match deferred {
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => {
            IoUring::builder().build(RING_ENTRIES)
        }
        ring => ring,
    }
}
