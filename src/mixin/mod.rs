//! The concurrency modes, Python's mixins: each changes only how a request is processed
//! and what closing waits for, so switching model is one word.
//!
//! | Python | here | each request runs |
//! | --- | --- | --- |
//! | `TCPServer` alone | [`Iterative`](crate::Iterative): [`TcpServer`](crate::TcpServer) | on the serving thread |
//! | `ThreadingMixIn` | [`Threading`]: [`ThreadingTcpServer`](crate::ThreadingTcpServer) | on a new thread |
//! | `ThreadPoolExecutor(max_workers=10)` (the lecture) | [`Pool`]: [`PoolTcpServer`](crate::PoolTcpServer) | on one of a fixed set of worker threads |
//! | `ForkingMixIn` | [`Forking`]: [`ForkingTcpServer`](crate::ForkingTcpServer) | in a new child process |
//!
//! A mode is the second parameter of [`Server`](crate::Server); its options are set on the
//! server's builder (`ThreadingTcpServer::builder().max_threads(Some(64))`).

mod children;
pub mod forking;
pub mod pool;
pub mod threading;

pub use forking::Forking;
pub use pool::Pool;
pub use threading::Threading;

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

/// Waits on `changed` until `count(state)` is zero, or until `deadline` (`None`: no
/// limit); returns whether it reached zero. The modes' "wait for requests in progress".
fn wait_for_zero<T>(
    state: &Mutex<T>,
    changed: &Condvar,
    count: impl Fn(&T) -> usize,
    deadline: Option<Instant>,
) -> bool {
    let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
    while count(&guard) > 0 {
        guard = match deadline {
            None => changed.wait(guard).unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    return false;
                };
                changed
                    .wait_timeout(guard, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
    true
}
