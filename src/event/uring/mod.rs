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
//! The files: `ring` (the ring's life: made, entered, wound down), `conn` (a connection's
//! state, its receives and its close), `sender` (its sends), `op` (the `user_data`
//! encoding), `buf_ring` (the receive buffers) and `turn` (the loop's turn on the ring).
//!
//! [`Backend::IoUring`]: super::Backend::IoUring

use std::collections::HashMap;
use std::io;

use io_uring::IoUring;

mod buf_ring;
mod conn;
mod op;
mod ring;
mod sender;
mod turn;

use buf_ring::BufRing;
use conn::{Grave, Io};
use ring::build_ring;

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
}
