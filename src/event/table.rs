//! The connection table: every live connection, the work pending on them, and the
//! settings and hooks the callbacks' [`Context`](super::Context) needs.
//!
//! Handlers never touch sockets. A callback only queues output and sets flags here; the
//! loop does the writing and closing afterwards, so one connection's callback can reach
//! every other connection without aliasing a socket that is being read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use std::{fmt, io};

use slab::Slab;

use super::connection::Conn;
use super::stats::Counters;
use super::write_queue::Spares;
use crate::{Address, Error, ShutdownHandle};

/// The factory's hooks, as the table calls them (the handler type is the loop's business).
pub(crate) trait Hooks: Send + Sync {
    /// Python's `handle_error`; a panic in the hook is caught and logged.
    fn report(&self, client: &Address, err: &Error);
    /// Python's `verify_request`.
    fn verify(&self, client: &Address) -> bool;
}

/// Limits every connection shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Reading from a connection pauses while this much of its output is queued.
    pub(crate) output_limit: usize,
    /// Output queued by other connections past this closes the connection: its client
    /// reads too slowly to keep up with a relay.
    pub(crate) slow_reader_limit: usize,
    pub(crate) max_line_length: usize,
}

/// What the table needs from the server: limits, hooks, counters, the shutdown handle.
pub(crate) struct Shared {
    pub(crate) limits: Limits,
    pub(crate) counters: Arc<Counters>,
    pub(crate) shutdown: ShutdownHandle,
    pub(crate) hooks: Arc<dyn Hooks>,
    /// The server's address and shutdown handle, as blocking handlers get them.
    pub(crate) server: Arc<crate::ServerInfo>,
}

impl Shared {
    /// Python's `handle_error`.
    pub(crate) fn report(&self, peer: SocketAddr, err: &Error) {
        self.hooks.report(&Address::Inet(peer), err);
    }

    pub(crate) fn verify(&self, peer: SocketAddr) -> bool {
        self.hooks.verify(&Address::Inet(peer))
    }
}

/// Connections with work the loop owes them.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Work that needs no new event: reading past the per-turn budget, reading again
    /// after backpressure, a deferred `on_drained`. While it is non-empty the loop polls
    /// without waiting.
    pub(crate) ready: Vec<usize>,
    /// Output queued since the connection was last flushed.
    pub(crate) dirty: Vec<usize>,
    /// Closed, to be removed (and `on_close` called) once the current callback is over.
    pub(crate) doomed: Vec<usize>,
    /// Connections not closed (the slab also holds doomed ones until their removal).
    pub(crate) live: usize,
    /// Emptied output buffers for the next replies.
    pub(crate) spares: Spares,
}

impl Pending {
    pub(crate) fn mark_ready(&mut self, conn: &mut Conn, key: usize) {
        if !conn.flags.in_ready {
            conn.flags.in_ready = true;
            self.ready.push(key);
        }
    }

    pub(crate) fn mark_dirty(&mut self, conn: &mut Conn, key: usize) {
        if !conn.flags.in_dirty {
            conn.flags.in_dirty = true;
            self.dirty.push(key);
        }
    }

    /// Closes a connection now: its queued output is dropped.
    pub(crate) fn doom(&mut self, conn: &mut Conn, key: usize) {
        if !conn.flags.dead {
            conn.flags.dead = true;
            self.live -= 1;
            self.doomed.push(key);
        }
    }

    /// Queues `data` for `conn`. `relay` is output from another connection's callback,
    /// which the slow-reader limit applies to. Returns whether it was queued.
    pub(crate) fn enqueue(
        &mut self,
        shared: &Shared,
        conn: &mut Conn,
        key: usize,
        data: &[u8],
        relay: bool,
    ) -> bool {
        // A connection still in its TLS handshake is not there yet for the handlers.
        if conn.flags.dead || conn.flags.closing || !conn.is_established() {
            return false;
        }
        if data.is_empty() {
            return true;
        }
        let limit = shared.limits.slow_reader_limit;
        if relay && conn.out.len().saturating_add(data.len()) > limit {
            let err = io::Error::other(format!(
                "client reads too slowly: more than slow_reader_limit ({limit} bytes) queued"
            ));
            shared.report(conn.peer, &Error::Io(err));
            self.doom(conn, key);
            return false;
        }
        let before = conn.out.len();
        #[cfg(feature = "tls")]
        if let Some(tls) = conn.tls.as_mut() {
            // What is queued is what goes on the wire: the encrypted records.
            tls.encrypt(data, &mut conn.out);
            self.queued(shared, conn, key, before);
            return true;
        }
        conn.out.push_reusing(data, &mut self.spares);
        self.queued(shared, conn, key, before);
        true
    }

    /// Queues `len` bytes that `fill` writes straight into `conn`'s queue (through a
    /// buffer on TLS, whose queue holds the encrypted bytes). Returns whether it was
    /// queued; an error from `fill` queues nothing.
    #[cfg(feature = "http")]
    pub(crate) fn enqueue_filled(
        &mut self,
        shared: &Shared,
        conn: &mut Conn,
        key: usize,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> io::Result<()>,
    ) -> io::Result<bool> {
        if conn.flags.dead || conn.flags.closing || !conn.is_established() {
            return Ok(false);
        }
        #[cfg(feature = "tls")]
        if conn.tls.is_some() {
            let mut plain = vec![0; len];
            fill(&mut plain)?;
            return Ok(self.enqueue(shared, conn, key, &plain, false));
        }
        let before = conn.out.len();
        conn.out.push_filled(len, &mut self.spares, fill)?;
        self.queued(shared, conn, key, before);
        Ok(true)
    }

    /// Counts what was added to `conn`'s queue since it was `before` long, and has it
    /// flushed.
    pub(crate) fn queued(&mut self, shared: &Shared, conn: &mut Conn, key: usize, before: usize) {
        let after = conn.out.len();
        if after > before {
            shared.counters.queued(after - before, after);
            self.mark_dirty(conn, key);
        }
    }
}

/// The table the loop and the callbacks share.
pub(crate) struct Table {
    pub(crate) conns: Slab<Conn>,
    pub(crate) pending: Pending,
    pub(crate) shared: Shared,
    /// The time the current turn started: one clock read per turn, not per read.
    pub(crate) now: Instant,
    pub(crate) turn: u64,
    next_serial: u64,
}

impl Table {
    pub(crate) fn new(shared: Shared) -> Self {
        Table {
            conns: Slab::new(),
            pending: Pending::default(),
            shared,
            now: Instant::now(),
            turn: 1,
            next_serial: 0,
        }
    }

    pub(crate) fn next_serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    /// Closes `key` now, without an error to report (idle, finished, server closing).
    pub(crate) fn doom(&mut self, key: usize) {
        if let Some(conn) = self.conns.get_mut(key) {
            self.pending.doom(conn, key);
        }
    }

    /// Reports `err` for `key` through `handle_error` and closes the connection.
    pub(crate) fn fail(&mut self, key: usize, err: Error) {
        if let Some(conn) = self.conns.get(key) {
            self.shared.report(conn.peer, &err);
        }
        self.doom(key);
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("connections", &self.conns.len())
            .field("live", &self.pending.live)
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}
