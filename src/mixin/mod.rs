//! Concurrency wrappers, Python's mixins: each wraps any server and changes only how a
//! request is processed, so switching model is one word.
//!
//! | Python | here | each request runs |
//! | --- | --- | --- |
//! | `TCPServer` alone | [`TcpServer`](crate::TcpServer) | on the serving thread |
//! | `ThreadingMixIn` | [`Threading`] | on a new thread |
//! | `ThreadPoolExecutor(max_workers=10)` (the lecture) | [`Pool`] | on one of a fixed set of worker threads |
//! | `ForkingMixIn` | [`Forking`] (Unix) | in a new child process |
//!
//! A wrapper dereferences to the server it wraps, so `local_addr`, `shutdown_handle` and
//! the rest are reached through it; it replaces `serve_forever`, `handle_request` and
//! `server_close`.

#[cfg(unix)]
mod children;
#[cfg(unix)]
pub mod forking;
pub mod pool;
pub mod threading;

#[cfg(unix)]
pub use forking::Forking;
pub use pool::Pool;
pub use threading::Threading;

use crate::server::{Request, SocketKind};

/// How a wrapper processes requests: the part of Python's `BaseServer` a mixin overrides.
pub(crate) trait ProcessRequest<K: SocketKind, H> {
    /// Runs or hands off one request (Python's `process_request`).
    fn process_request(&self, request: Request<K, H>);

    /// Whether another request can be taken now; while not, the loop leaves requests in
    /// the socket's queue (the listen backlog) and waits to be woken.
    fn has_capacity(&self) -> bool {
        true
    }

    /// Runs on every turn of the serving loop (Python's `service_actions`).
    fn service_actions(&self) {}

    /// Runs when `handle_request` times out (Python's `handle_timeout`).
    fn handle_timeout(&self) {}
}
