//! The live connections of a stream server, so that closing the server can end the ones
//! that sit idle (a handler blocked reading sees end-of-file and returns) and, past a
//! graceful stop's deadline, the ones whose client does not read.
//!
//! Ending them is sticky until the server serves again: a request accepted before but
//! registered after (still waiting for a pool worker, or a thread not started yet) has
//! its reads ended as it registers, so no handler blocks a closing server.

use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::handler::Stream;

#[derive(Debug, Default)]
pub struct Connections {
    next_id: AtomicU64,
    live: Mutex<Live>,
}

#[derive(Debug, Default)]
struct Live {
    connections: HashMap<u64, Arc<Stream>>,
    /// What closing has done to every connection, and does to those registered until
    /// `reopen`: `None`, or shut down its read half, or both halves.
    ending: Option<Shutdown>,
}

impl Connections {
    fn live(&self) -> MutexGuard<'_, Live> {
        // Inserts and removes cannot leave the map half-changed.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn register(&self, stream: &Arc<Stream>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut live = self.live();
        if let Some(how) = live.ending {
            let _ = stream.connection.shutdown(how);
        }
        live.connections.insert(id, Arc::clone(stream));
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        self.live().connections.remove(&id);
    }

    pub(crate) fn len(&self) -> usize {
        self.live().connections.len()
    }

    fn end(&self, how: Shutdown) -> usize {
        let mut live = self.live();
        live.ending = Some(how);
        for stream in live.connections.values() {
            let _ = stream.connection.shutdown(how);
        }
        live.connections.len()
    }

    /// Shuts down the read half of every live connection, and of those registered from
    /// now until `reopen`: blocked reads return end-of-file, replies already being
    /// written still go out.
    pub(crate) fn end_reads(&self) -> usize {
        self.end(Shutdown::Read)
    }

    /// Shuts down the read half of the live connections whose client has sent something
    /// (they are between requests, or in one), leaving those that have not: their first
    /// request may be on its way. Not sticky. Returns how many it ended.
    pub(crate) fn end_reads_of_talkers(&self) -> usize {
        let live = self.live();
        let mut ended = 0;
        for stream in live.connections.values().filter(|s| s.has_received()) {
            let _ = stream.connection.shutdown(Shutdown::Read);
            ended += 1;
        }
        ended
    }

    /// Shuts down every live connection both ways (and those registered until `reopen`):
    /// a write blocked on a client that does not read fails.
    pub(crate) fn abort(&self) -> usize {
        self.end(Shutdown::Both)
    }

    /// The server serves again: new connections are served as usual.
    pub(crate) fn reopen(&self) {
        self.live().ending = None;
    }
}
