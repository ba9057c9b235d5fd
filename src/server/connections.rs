//! The live connections of a stream server, so that closing the server can end the ones
//! that sit idle (a handler blocked reading sees end-of-file and returns).

use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::Connection;

#[derive(Debug, Default)]
pub(crate) struct Connections {
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Connections {
    fn live(&self) -> MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // Inserts and removes cannot leave the map half-changed.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn register(&self, connection: &Arc<Connection>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.live().insert(id, Arc::clone(connection));
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        self.live().remove(&id);
    }

    pub(crate) fn len(&self) -> usize {
        self.live().len()
    }

    /// Shuts down the read half of every live connection: blocked reads return end-of-file,
    /// replies already being written still go out.
    pub(crate) fn end_reads(&self) -> usize {
        let live = self.live();
        for connection in live.values() {
            let _ = connection.shutdown(Shutdown::Read);
        }
        live.len()
    }
}
