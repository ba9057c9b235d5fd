//! [`EventLoopStats`]: what the loop is holding, readable from any thread while it serves.
//!
//! The serving threads (one per loop) write the counters with relaxed atomics: a reader
//! sees each number as it was at some recent instant.

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed};

/// A snapshot of an [`EventLoopTcpServer`](super::EventLoopTcpServer)'s connections and
/// queues, from [`stats`](super::EventLoopTcpServer::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventLoopStats {
    /// Connections held now (accepted and not yet closed).
    pub open_connections: usize,
    /// Connections taken into service since the server started (not counting those
    /// `verify_request` refused).
    pub accepted: u64,
    /// Output queued for all connections now, in bytes, waiting for their clients to read.
    pub queued_output: usize,
    /// The longest any one connection's output queue has been, in bytes, since the server
    /// started: with backpressure it stays near the output limit however slow a client is.
    pub peak_queued_output: usize,
    /// Connections whose reading is paused now because their output queue is full.
    pub paused_connections: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    open: AtomicUsize,
    accepted: AtomicU64,
    queued: AtomicUsize,
    peak_queued: AtomicUsize,
    paused: AtomicUsize,
    /// The backend the loop runs on: 0 before it is made, else `Backend as u8 + 1`.
    backend: AtomicU8,
}

impl Counters {
    pub(crate) fn set_backend(&self, backend: super::Backend) {
        self.backend.store(backend as u8 + 1, Relaxed);
    }

    /// The backend of the loop, once it is made.
    pub(crate) fn backend(&self) -> Option<super::Backend> {
        match self.backend.load(Relaxed) {
            0 => None,
            1 => Some(super::Backend::Epoll),
            _ => Some(super::Backend::IoUring),
        }
    }

    pub(crate) fn opened(&self) {
        self.open.fetch_add(1, Relaxed);
        self.accepted.fetch_add(1, Relaxed);
    }

    /// A connection left the table with `queued` bytes unsent.
    pub(crate) fn closed(&self, queued: usize, paused: bool) {
        self.open.fetch_sub(1, Relaxed);
        self.queued.fetch_sub(queued, Relaxed);
        if paused {
            self.paused(false);
        }
    }

    /// `n` bytes were queued on a connection whose queue is now `queue_len` long.
    pub(crate) fn queued(&self, n: usize, queue_len: usize) {
        self.queued.fetch_add(n, Relaxed);
        // A plain load first: a new peak is rare, and `fetch_max` (several loops may
        // write) only runs then.
        if queue_len > self.peak_queued.load(Relaxed) {
            self.peak_queued.fetch_max(queue_len, Relaxed);
        }
    }

    pub(crate) fn written(&self, n: usize) {
        self.queued.fetch_sub(n, Relaxed);
    }

    pub(crate) fn paused(&self, paused: bool) {
        if paused {
            self.paused.fetch_add(1, Relaxed);
        } else {
            self.paused.fetch_sub(1, Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> EventLoopStats {
        EventLoopStats {
            open_connections: self.open.load(Relaxed),
            accepted: self.accepted.load(Relaxed),
            queued_output: self.queued.load(Relaxed),
            peak_queued_output: self.peak_queued.load(Relaxed),
            paused_connections: self.paused.load(Relaxed),
        }
    }
}
