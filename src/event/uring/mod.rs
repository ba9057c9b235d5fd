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

use std::alloc::{self, Layout};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use io_uring::types::{BufRingEntry, CancelBuilder, Fd, SubmitArgs, Timespec};
use io_uring::{cqueue, opcode, squeue, IoUring};
use mio::net::TcpStream;
use mio::{Events, Poll};

use super::event_loop::{Loop, Stop, EVENTS_PER_WAIT};
use super::EventHandler;
use crate::server::{LISTENER, WAKE};
use crate::Result;

/// Submission queue entries (the completion queue gets twice as many).
const RING_ENTRIES: u32 = 4096;
/// Buffers in the receive ring (a power of two).
const BUFFERS: u16 = 256;
/// Bytes per receive buffer: as large as the epoll loop's reads, so that a handler sees
/// input cut the same way on both backends. 16 MiB in all, but only the pages the
/// kernel writes into are ever backed by memory (the buffers are allocated zeroed, by
/// `mmap`, and a 64-byte message touches one page).
const BUFFER_SIZE: usize = super::event_loop::READ_BUFFER;
/// The buffer group id of the receive ring.
const BGID: u16 = 0;
/// The most bytes one send takes from a connection's queue.
const SEND_MAX: usize = 256 * 1024;
/// A send buffer at most this large is kept for the next reply (an echo then allocates
/// nothing per round trip); a larger one is freed when its send completes.
const SEND_KEEP: usize = 4 * 1024;

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

/// The receive buffers and the ring through which they are lent to the kernel.
struct BufRing {
    /// The ring of `BUFFERS` entries, page-aligned as the kernel requires.
    ring: *mut BufRingEntry,
    layout: Layout,
    /// The buffers themselves, `BUFFER_SIZE` bytes each; never reallocated.
    data: Box<[u8]>,
    /// The next entry to fill (the ring's tail, which the kernel reads).
    tail: u16,
}

// SAFETY: the ring memory is owned by this value alone (the kernel aside, which does not
// care which thread the loop runs on); the loop moves between threads only as a whole,
// behind the mode's mutex.
unsafe impl Send for BufRing {}

impl BufRing {
    fn new() -> io::Result<Self> {
        let layout = Layout::from_size_align(
            usize::from(BUFFERS) * std::mem::size_of::<BufRingEntry>(),
            4096,
        )
        .map_err(io::Error::other)?;
        // SAFETY: the layout has a non-zero size.
        let ring = unsafe { alloc::alloc_zeroed(layout) }.cast::<BufRingEntry>();
        if ring.is_null() {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let mut bufs = BufRing {
            ring,
            layout,
            data: vec![0; usize::from(BUFFERS) * BUFFER_SIZE].into_boxed_slice(),
            tail: 0,
        };
        for bid in 0..BUFFERS {
            bufs.push(bid);
        }
        bufs.publish();
        Ok(bufs)
    }

    /// Puts buffer `bid` back in the ring (visible to the kernel after `publish`).
    fn push(&mut self, bid: u16) {
        let index = usize::from(self.tail & (BUFFERS - 1));
        let offset = usize::from(bid) * BUFFER_SIZE;
        // SAFETY: `index < BUFFERS`, inside the allocation; the kernel reads only entries
        // between its head and the published tail, and this one is past the tail.
        let entry = unsafe { &mut *self.ring.add(index) };
        entry.set_addr(self.data[offset..].as_ptr() as u64);
        entry.set_len(BUFFER_SIZE as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes the pushed buffers visible to the kernel.
    fn publish(&self) {
        // SAFETY: the ring's tail is the `resv` field of its first entry, a u16 aligned
        // as an AtomicU16; the kernel reads it concurrently, hence the atomic store, with
        // Release so the entries written before are seen before the tail.
        unsafe {
            let tail = BufRingEntry::tail(self.ring).cast_mut().cast::<AtomicU16>();
            (*tail).store(self.tail, Ordering::Release);
        }
    }

    fn buffer(&self, bid: u16) -> &[u8] {
        let offset = usize::from(bid) * BUFFER_SIZE;
        &self.data[offset..offset + BUFFER_SIZE]
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout in `new`; the ring is unregistered (the
        // io_uring is gone, `Uring`'s drop waited for its operations) before this runs.
        unsafe { alloc::dealloc(self.ring.cast(), self.layout) };
    }
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
}

/// What a closed connection leaves while the kernel still has operations on it.
struct Grave {
    _socket: TcpStream,
    _send: Vec<u8>,
    ops: u8,
}

/// The ring and the state of every connection on it.
pub(crate) struct Uring {
    ring: IoUring,
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
        let ring = IoUring::builder().build(RING_ENTRIES)?;
        if !ring.params().is_feature_ext_arg() || !ring.params().is_feature_nodrop() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the kernel's io_uring lacks EXT_ARG or NODROP (Linux 5.11)",
            ));
        }
        let bufs = BufRing::new()?;
        // SAFETY: the ring memory lives in `bufs`, which is dropped after `ring`
        // (fields drop in order: `ring` first), so it outlives the registration.
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(bufs.ring as u64, BUFFERS, BGID, 0)?;
        }
        Ok(Uring {
            ring,
            bufs,
            conns: Vec::new(),
            graves: HashMap::new(),
            starved: Vec::new(),
            held: 0,
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
    unsafe fn push(&mut self, entry: &squeue::Entry) {
        loop {
            // SAFETY: passed on from the caller.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                self.inflight += 1;
                return;
            }
            if let Err(err) = self.ring.submit() {
                if err.raw_os_error() != Some(libc::EBUSY) {
                    log::error!("io_uring submit: {err}");
                }
                self.reap();
            }
        }
    }

    /// Takes the completion queue's entries into `completions`.
    fn reap(&mut self) {
        for cqe in self.ring.completion() {
            self.completions
                .push((cqe.user_data(), cqe.result(), cqe.flags()));
        }
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
        });
        self.arm(key);
    }

    fn arm(&mut self, key: usize) {
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return;
        };
        if io.recv_armed || io.eof || io.error.is_some() {
            return;
        }
        io.recv_armed = true;
        let entry = opcode::Recv::new(Fd(io.fd), std::ptr::null_mut(), BUFFER_SIZE as u32)
            .buf_group(BGID)
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
                self.bufs.push(bid);
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
            self.bufs.publish();
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
            self.bufs.push(*bid);
            self.held -= 1;
        }
        if !io.inbox.is_empty() {
            self.bufs.publish();
        }
        let ops = u8::from(io.recv_armed) + u8::from(io.sending);
        if io.recv_armed {
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
        if self.mio_armed {
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
        let ready = !self.ring.completion().is_empty();
        let result = match timeout {
            _ if ready => self.ring.submit(),
            Some(timeout) if timeout.is_zero() => self.ring.submit(),
            Some(timeout) => {
                let ts = Timespec::from(timeout);
                let args = SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(1, &args)
            }
            None => self.ring.submit_and_wait(1),
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
        let entry = opcode::AsyncCancel2::new(CancelBuilder::any())
            .build()
            .user_data(user_data(Op::Cancel, 0, 0));
        // SAFETY: a cancel points to no memory.
        unsafe { self.push(&entry) };
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
        if self.inflight > 0 {
            log::error!(
                "io_uring: {} operations still in the kernel at close: their buffers are leaked",
                self.inflight
            );
            let bufs = std::mem::replace(&mut self.bufs.data, Box::new([]));
            std::mem::forget(bufs);
            self.bufs.ring = std::ptr::NonNull::dangling().as_ptr();
            self.bufs.layout = Layout::new::<()>();
            for (_, grave) in self.graves.drain() {
                std::mem::forget(grave);
            }
            for io in self.conns.drain(..).flatten() {
                std::mem::forget(io.send);
            }
        }
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
        if io.sending {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = data.len().min(SEND_MAX);
        io.send.clear();
        io.send.extend_from_slice(&data[..n]);
        io.sent = 0;
        io.sending = true;
        let entry = opcode::Send::new(Fd(io.fd), io.send.as_ptr(), n as u32)
            .build()
            .user_data(user_data(Op::Send, key, io.tag));
        // SAFETY: `io.send` is not touched while `sending` (its heap buffer stays put
        // when `Io` moves, and moves into a grave if the connection closes first).
        unsafe { self.uring.push(&entry) };
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<H: EventHandler> Loop<H> {
    /// `run` on the ring: the same turn as with epoll, with completions for events.
    pub(super) fn run_uring(
        &mut self,
        poll: &mut Poll,
        listener: RawFd,
        stop: &dyn Stop,
    ) -> Result<()> {
        let mut events = Events::with_capacity(EVENTS_PER_WAIT);
        self.accept_all(listener)?;
        while !stop.requested() {
            let timeout = self.poll_timeout();
            self.uring_turn(poll, &mut events, timeout, Some(listener), Some(stop))?;
            self.end_turn(listener)?;
        }
        Ok(())
    }

    /// A drain's turn (no accepting): see `turns_until`.
    pub(super) fn uring_drain_turn(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        until: Instant,
    ) {
        let timeout = if self.table.pending.ready.is_empty() {
            until.saturating_duration_since(Instant::now())
        } else {
            Duration::ZERO
        };
        if let Err(err) = self.uring_turn(poll, events, Some(timeout), None, None) {
            log::error!("io_uring while draining: {err}");
        }
    }

    /// One `io_uring_enter`, then every completion handled.
    fn uring_turn(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        timeout: Option<Duration>,
        listener: Option<RawFd>,
        stop: Option<&dyn Stop>,
    ) -> Result<()> {
        let Some(uring) = self.uring.as_mut() else {
            return Ok(());
        };
        uring.arm_mio(poll.as_raw_fd());
        uring.enter(timeout)?;
        uring.reap();
        let mut completions = std::mem::take(&mut uring.completions);
        self.table.now = Instant::now();
        self.table.turn += 1;
        for &(data, res, flags) in &completions {
            self.on_completion(poll, events, data, res, flags, listener, stop)?;
        }
        completions.clear();
        if let Some(uring) = self.uring.as_mut() {
            if uring.completions.is_empty() {
                uring.completions = completions;
            }
            // A receive can fail for want of a buffer just before buffers came back (its
            // completion read after the recycling that re-arms the starved): with buffers
            // in the ring again, arm those now, or they would wait for a next recycling
            // that may never come.
            if !uring.starved.is_empty() && uring.held < usize::from(BUFFERS) {
                for key in std::mem::take(&mut uring.starved) {
                    uring.arm(key);
                }
            }
        }
        self.run_ready();
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn on_completion(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        data: u64,
        res: i32,
        flags: u32,
        listener: Option<RawFd>,
        stop: Option<&dyn Stop>,
    ) -> Result<()> {
        let Some(uring) = self.uring.as_mut() else {
            return Ok(());
        };
        let (op, key, tag) = decode(data);
        match op {
            Op::Cancel => {
                uring.inflight -= 1;
                return Ok(());
            }
            Op::Mio => {
                if !cqueue::more(flags) {
                    uring.inflight -= 1;
                    uring.mio_armed = false;
                }
                if let Err(err) = poll.poll(events, Some(Duration::ZERO)) {
                    if err.kind() != io::ErrorKind::Interrupted {
                        return Err(err.into());
                    }
                }
                for event in events.iter() {
                    match event.token() {
                        WAKE => {
                            if let Some(stop) = stop {
                                stop.woken();
                            }
                        }
                        LISTENER => {
                            if let Some(listener) = listener {
                                self.accept_all(listener)?;
                            }
                        }
                        _ => {}
                    }
                }
                return Ok(());
            }
            Op::Recv | Op::Send => uring.inflight -= 1,
        }
        let bid = cqueue::buffer_select(flags);
        let live = uring
            .conns
            .get_mut(key)
            .and_then(Option::as_mut)
            .filter(|io| io.tag == tag);
        let Some(io) = live else {
            // A closed connection's operation: give back its buffer, bury it when done.
            if let Some(bid) = bid {
                uring.bufs.push(bid);
                uring.bufs.publish();
            }
            let grave = user_data(Op::Recv, key, tag);
            if let Some(g) = uring.graves.get_mut(&grave) {
                g.ops -= 1;
                if g.ops == 0 {
                    uring.graves.remove(&grave);
                }
            }
            return Ok(());
        };
        if op == Op::Recv {
            io.recv_armed = false;
            match (res, bid) {
                (n, Some(bid)) if n > 0 => {
                    io.inbox.push_back((bid, 0, n as usize));
                    uring.held += 1;
                }
                (n, bid) if n >= 0 => {
                    if let Some(bid) = bid {
                        uring.bufs.push(bid);
                        uring.bufs.publish();
                    }
                    io.eof = true;
                }
                (err, _) if -err == libc::ENOBUFS => {
                    uring.starved.push(key);
                    return Ok(());
                }
                // ECANCELED: the thread that armed it ended (a serving period ended and
                // another thread serves now); the kernel cancels such requests.
                (err, _) if [libc::EINTR, libc::EAGAIN, libc::ECANCELED].contains(&-err) => {
                    uring.arm(key);
                    return Ok(());
                }
                (err, _) => io.error = Some(io::Error::from_raw_os_error(-err)),
            }
            let Some(conn) = self.table.conns.get_mut(key) else {
                return Ok(());
            };
            conn.flags.wants_read = true;
            if res <= 0 {
                conn.flags.hup = true;
            }
            self.read(key);
            self.settle();
            return Ok(());
        }
        // A send completed.
        if res == -libc::ECANCELED || res == -libc::EINTR {
            // Its thread ended (see the receive above): the rest goes out again.
            let rest = &io.send[io.sent..];
            let entry = opcode::Send::new(Fd(io.fd), rest.as_ptr(), rest.len() as u32)
                .build()
                .user_data(user_data(Op::Send, key, io.tag));
            // SAFETY: as in `Sender::write`: the buffer is untouched while sending.
            unsafe { uring.push(&entry) };
            return Ok(());
        }
        if res < 0 {
            io.sending = false;
            io.error = Some(io::Error::from_raw_os_error(-res));
        } else {
            io.sent += res as usize;
            if res == 0 && io.sent < io.send.len() {
                io.sending = false;
                io.error = Some(io::ErrorKind::WriteZero.into());
            } else if io.sent < io.send.len() {
                // The rest of the buffer, still ours to lend.
                let rest = &io.send[io.sent..];
                let entry = opcode::Send::new(Fd(io.fd), rest.as_ptr(), rest.len() as u32)
                    .build()
                    .user_data(user_data(Op::Send, key, io.tag));
                // SAFETY: as in `Sender::write`: the buffer is untouched while sending.
                unsafe { uring.push(&entry) };
                return Ok(());
            } else {
                io.sending = false;
                if io.send.capacity() > SEND_KEEP {
                    io.send = Vec::new();
                }
            }
        }
        if let Some(conn) = self.table.conns.get_mut(key) {
            conn.flags.can_write = true;
            self.flush(key);
            self.settle();
        }
        Ok(())
    }
}
