//! The io_uring backend of the event loop (feature `io-uring`, [`Backend::IoUring`]).
//!
//! With epoll every round trip costs the loop two system calls, a `recv` and a `send`, plus
//! a share of an `epoll_wait`. Here the kernel does the receives and sends itself and the
//! loop makes one `io_uring_enter` per turn, for every connection at once: it submits the
//! sends and receives queued during the turn and waits for completions.
//!
//! - **Receives** go into a buffer ring registered with the kernel (a ring of fixed-size
//!   buffers it picks from), so an idle connection with a receive armed holds no buffer.
//!   Each connection has at most one receive armed, re-armed when its input has been
//!   handed to the handler; a connection paused by backpressure holds at most one
//!   buffer. (A multishot receive would save re-arming but keep filling buffers for a
//!   paused connection until the ring is empty for everyone.)
//! - **Sends** copy the connection's queue into a buffer of its own that the kernel
//!   owns until the completion; one send per connection at a time keeps bytes in order.
//!   The loop's `flush` sees a send in flight as a full socket (`WouldBlock`) and the
//!   completion as the writable edge.
//! - **One ring per serving thread.** The ring is set up with `DEFER_TASKRUN` (Linux 6.1):
//!   the kernel finishes operations in one batch when the loop enters the ring, instead of
//!   interrupting the loop's thread for each (measured: 0.79x the epoll loop's CPU per
//!   round trip with it, 1.18x without). It requires `SINGLE_ISSUER`: only the thread
//!   that made a ring may enter it. A serving period (`serve_forever`, a drain) may run
//!   on another thread than the last, so each one makes its own ring (`Uring::start`)
//!   and winds it down at its end (`Loop::uring_end`: every operation cancelled and
//!   completed, the buffer ring unregistered). The connections, their received bytes
//!   and their unsent replies stay across; the next ring takes them up.
//! - **The listener and the shutdown waker** stay with mio: the epoll descriptor of the
//!   server's `Poll` is itself watched by a multishot poll on the ring, and only when it
//!   fires does the loop ask epoll (with a zero timeout) what is ready. Accepting is the
//!   same code as with epoll (backoff, `max_connections`, `verify_request`).
//!
//! Every operation's `user_data` names the connection's table key and serial, so a
//! completion for a connection that has since closed (its slot maybe reused) is told
//! apart. A closed connection's socket and send buffer are kept ("graves") until the
//! kernel has completed every operation that refers to them.
//!
//! Where the kernel refuses io_uring (ENOSYS, EPERM from a seccomp profile,
//! `kernel.io_uring_disabled`, a kernel older than 5.19 without buffer rings) the loop
//! logs one warning and runs on epoll.
//!
//! [`Backend::IoUring`]: super::Backend::IoUring

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use io_uring::types::{CancelBuilder, Fd, SubmitArgs, Timespec};
use io_uring::{cqueue, opcode, squeue, IoUring};
use mio::net::TcpStream;

mod buf_ring;
mod turn;

use buf_ring::BufRing;

/// Submission queue entries (the completion queue gets twice as many).
const RING_ENTRIES: u32 = 4096;
/// Buffers in the receive ring (a power of two).
const BUFFERS: u16 = 256;
/// Bytes per receive buffer: as large as the epoll loop's reads, so that a handler sees
/// input cut the same way on both backends. 16 MiB in all, but only the pages the
/// kernel writes into are ever backed by memory (the buffers are allocated zeroed, by
/// `mmap`, and a 64-byte message touches one page), and the ring lends the most
/// recently used buffers first (see `buf_ring`).
const BUFFER_SIZE: usize = super::config::READ_BUFFER;
/// The buffer group id of the receive ring.
const BGID: u16 = 0;
/// The most bytes one send takes from a connection's queue.
const SEND_MAX: usize = 256 * 1024;
/// A send buffer at most this large is kept for the next reply (an echo then allocates
/// nothing per round trip); a larger one is freed when its send completes.
const SEND_KEEP: usize = 4 * 1024;

/// `IORING_RECVSEND_POLL_FIRST` (not exported by the `io-uring` crate): a receive is
/// armed when the connection's input has just been drained, so the kernel's first try
/// would fail; this skips it and waits for readiness straight away.
const RECVSEND_POLL_FIRST: u16 = 1;

/// What an operation was, in the top bits of its `user_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Recv = 0,
    Send = 1,
    Cancel = 2,
    /// The multishot poll of mio's epoll descriptor.
    Mio = 3,
}

fn user_data(op: Op, key: usize, tag: u32) -> u64 {
    ((op as u64) << 62) | (((key as u64) & 0x3FFF_FFFF) << 32) | u64::from(tag)
}

fn decode(user_data: u64) -> (Op, usize, u32) {
    let op = match user_data >> 62 {
        0 => Op::Recv,
        1 => Op::Send,
        2 => Op::Cancel,
        _ => Op::Mio,
    };
    (
        op,
        ((user_data >> 32) & 0x3FFF_FFFF) as usize,
        user_data as u32,
    )
}

/// One connection's I/O state on the ring.
#[derive(Debug)]
struct Io {
    tag: u32,
    fd: RawFd,
    /// Received and not yet handed to the loop: buffer id, start, end.
    inbox: VecDeque<(u16, usize, usize)>,
    recv_armed: bool,
    eof: bool,
    error: Option<io::Error>,
    /// Lent to the kernel while `sending`: not touched until the completion.
    send: Vec<u8>,
    sent: usize,
    sending: bool,
    /// `send[sent..]` is still to go, but its send was cancelled with the ring it was on:
    /// the next ring sends it first (`sending` stays set, so nothing overtakes it).
    resend: bool,
}

/// What a closed connection leaves while the kernel still has operations on it.
struct Grave {
    _socket: TcpStream,
    _send: Vec<u8>,
    ops: u8,
}

/// The ring and the state of every connection on it.
pub(crate) struct Uring {
    /// The serving thread's ring: `None` between serving periods (see the module docs).
    ring: Option<IoUring>,
    /// The ring is being wound down: nothing new is submitted.
    stopping: bool,
    bufs: BufRing,
    /// By table key.
    conns: Vec<Option<Io>>,
    graves: HashMap<u64, Grave>,
    /// Connections whose receive found the buffer ring empty: armed again when buffers
    /// come back.
    starved: Vec<usize>,
    /// Buffers the loop holds (received into, not yet given back to the ring): fewer than
    /// `BUFFERS` means the ring has some, and a starved connection can be armed again.
    held: usize,
    /// Receives in the kernel: the buffer ring is kept about this full.
    armed: usize,
    /// Operations submitted and not yet completed for good.
    inflight: usize,
    /// The multishot poll of mio's epoll descriptor is armed.
    mio_armed: bool,
    /// Completions taken off the queue, handled after (the loop needs `&mut self`).
    completions: Vec<(u64, i32, u32)>,
}

impl std::fmt::Debug for Uring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uring")
            .field("inflight", &self.inflight)
            .field("graves", &self.graves.len())
            .finish_non_exhaustive()
    }
}

impl Uring {
    /// Sets up the ring and its receive buffers; an error means the kernel refuses
    /// io_uring here (the caller falls back to epoll).
    pub(crate) fn new(refuse: bool) -> io::Result<Self> {
        if refuse {
            return Err(io::Error::from_raw_os_error(libc::EPERM));
        }
        // A ring made and dropped here tells whether the kernel allows io_uring; the
        // serving thread makes the one it uses (`start`).
        let probe = build_ring()?;
        if !probe.params().is_feature_ext_arg() || !probe.params().is_feature_nodrop() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the kernel's io_uring lacks EXT_ARG or NODROP (Linux 5.11)",
            ));
        }
        drop(probe);
        Ok(Uring {
            ring: None,
            stopping: false,
            bufs: BufRing::new()?,
            conns: Vec::new(),
            graves: HashMap::new(),
            starved: Vec::new(),
            held: 0,
            armed: 0,
            inflight: 0,
            mio_armed: false,
            completions: Vec::new(),
        })
    }

    /// Queues a submission, submitting what is queued first if the queue is full.
    ///
    /// # Safety
    ///
    /// Whatever `entry` points to must stay valid until its completion.
    /// Only called while a ring is up (`start` to `stopped`).
    unsafe fn push(&mut self, entry: &squeue::Entry) {
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
    fn reap(&mut self) {
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
    fn begin_stop(&mut self) {
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
    fn stopped(&mut self) {
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

    /// Connection `key` has received bytes not yet handed to the loop.
    pub(crate) fn has_input(&self, key: usize) -> bool {
        self.conns
            .get(key)
            .and_then(Option::as_ref)
            .is_some_and(|io| !io.inbox.is_empty())
    }

    /// Sends what is left of connection `key`'s send buffer; with no ring up (or one
    /// winding down) it waits for the next ring.
    fn send_rest(&mut self, key: usize) {
        let up = self.ring.is_some() && !self.stopping;
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return;
        };
        if !up {
            io.resend = true;
            return;
        }
        let rest = &io.send[io.sent..];
        let entry = opcode::Send::new(Fd(io.fd), rest.as_ptr(), rest.len() as u32)
            .build()
            .user_data(user_data(Op::Send, key, io.tag));
        // SAFETY: `io.send` is not touched while `sending` (its heap buffer stays put
        // when `Io` moves, and moves into a grave if the connection closes first).
        unsafe { self.push(&entry) };
    }

    /// Takes connection `key` (a new socket) onto the ring and arms its first receive.
    pub(crate) fn add(&mut self, key: usize, fd: RawFd, serial: u64) {
        if self.conns.len() <= key {
            self.conns.resize_with(key + 1, || None);
        }
        self.conns[key] = Some(Io {
            tag: serial as u32,
            fd,
            inbox: VecDeque::new(),
            recv_armed: false,
            eof: false,
            error: None,
            send: Vec::new(),
            sent: 0,
            sending: false,
            resend: false,
        });
        self.arm(key);
    }

    fn arm(&mut self, key: usize) {
        if self.ring.is_none() || self.stopping {
            return; // `start` arms every connection
        }
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return;
        };
        if io.recv_armed || io.eof || io.error.is_some() {
            return;
        }
        io.recv_armed = true;
        self.armed += 1;
        self.bufs.lend(self.armed);
        let entry = opcode::Recv::new(Fd(io.fd), std::ptr::null_mut(), BUFFER_SIZE as u32)
            .buf_group(BGID)
            .ioprio(RECVSEND_POLL_FIRST)
            .build()
            .flags(squeue::Flags::BUFFER_SELECT)
            .user_data(user_data(Op::Recv, key, io.tag));
        // SAFETY: the receive writes only into a buffer of the ring, which lives as long
        // as the io_uring.
        unsafe { self.push(&entry) };
    }

    /// The loop's read from connection `key`: what its receives brought, else
    /// `WouldBlock` (with a receive armed), end-of-file or the receive's error.
    pub(crate) fn recv(&mut self, key: usize, buf: &mut [u8]) -> io::Result<usize> {
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let mut n = 0;
        let mut recycled = false;
        while n < buf.len() {
            let Some((bid, start, end)) = io.inbox.front_mut() else {
                break;
            };
            let take = (*end - *start).min(buf.len() - n);
            let data = &self.bufs.buffer(*bid)[*start..*start + take];
            buf[n..n + take].copy_from_slice(data);
            n += take;
            *start += take;
            if *start == *end {
                let bid = *bid;
                io.inbox.pop_front();
                self.bufs.give(bid);
                self.held -= 1;
                recycled = true;
            }
        }
        let empty = io.inbox.is_empty();
        let result = if n > 0 {
            Ok(n)
        } else if let Some(err) = io.error.take() {
            io.eof = true; // nothing more comes after an error
            Err(err)
        } else if io.eof {
            Ok(0)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        };
        if recycled {
            for key in std::mem::take(&mut self.starved) {
                self.arm(key);
            }
        }
        if empty {
            self.arm(key);
        }
        result
    }

    /// A writer for connection `key` for the loop's `flush`.
    pub(crate) fn sender(&mut self, key: usize) -> Sender<'_> {
        Sender { uring: self, key }
    }

    /// Connection `key` closed: cancels its receive, and keeps its socket and send buffer
    /// until the kernel is done with them.
    pub(crate) fn forget(&mut self, key: usize, socket: TcpStream) {
        let Some(io) = self.conns.get_mut(key).and_then(Option::take) else {
            return;
        };
        for (bid, ..) in &io.inbox {
            self.bufs.give(*bid);
            self.held -= 1;
        }
        // Operations in the kernel: a send waiting for the next ring is not.
        let ops = u8::from(io.recv_armed) + u8::from(io.sending && !io.resend);
        if io.recv_armed && !self.stopping {
            let target = user_data(Op::Recv, key, io.tag);
            let entry = opcode::AsyncCancel2::new(CancelBuilder::user_data(target))
                .build()
                .user_data(user_data(Op::Cancel, key, io.tag));
            // SAFETY: a cancel points to no memory.
            unsafe { self.push(&entry) };
        }
        if ops > 0 {
            self.graves.insert(
                user_data(Op::Recv, key, io.tag),
                Grave {
                    _socket: socket,
                    _send: io.send,
                    ops,
                },
            );
        }
    }

    /// Arms the multishot poll of mio's epoll descriptor (the listener and the waker).
    fn arm_mio(&mut self, epoll: RawFd) {
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
    fn enter(&mut self, timeout: Option<Duration>) -> io::Result<()> {
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

/// Connection `key`'s side of the ring as a `Write` for the loop's `flush`: a write
/// starts a send; while one is in flight the socket counts as full.
pub(crate) struct Sender<'a> {
    uring: &'a mut Uring,
    key: usize,
}

impl Write for Sender<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let key = self.key;
        let Some(io) = self.uring.conns.get_mut(key).and_then(Option::as_mut) else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        if let Some(err) = io.error.take() {
            io.eof = true;
            return Err(err);
        }
        // With no ring up, the next ring's start gives the writable edge.
        if io.sending || self.uring.ring.is_none() || self.uring.stopping {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = data.len().min(SEND_MAX);
        io.send.clear();
        io.send.extend_from_slice(&data[..n]);
        io.sent = 0;
        io.sending = true;
        self.uring.send_rest(key);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A ring with `DEFER_TASKRUN` where the kernel has it (6.1), else a plain one.
fn build_ring() -> io::Result<IoUring> {
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
