//! [`Mode`]: how a server processes each request, the one thing Python's mixins change.
//!
//! A server is a [`Server<K, M, H>`](super::Server): a socket kind, a mode and a handler.
//! The blocking modes ([`Iterative`](crate::Iterative), [`Threading`](crate::Threading),
//! [`Pool`](crate::Pool), [`Forking`](crate::Forking)) share the serving loop in
//! `base.rs` and differ only in the [`Blocking`] methods: how a request is processed,
//! whether another can be taken now, and what closing waits for. The event loop is a mode
//! too, with a loop of its own.

/// A concurrency model: `Iterative`, `Threading`, `Pool`, `Forking` or `EventLoop`.
///
/// Sealed: the crate's modes are the only ones. A mode's options are set on the
/// server's builder (`ThreadingTcpServer::builder().max_threads(..)`).
pub trait Mode: Send + Sync + 'static + imp::Sealed {}

pub(crate) use imp::{Blocking, Sealed};

/// The crate's side of the modes: `pub` in a private module, so nobody else can implement
/// them and [`Mode`] is sealed by the type system.
mod imp {
    use std::os::fd::RawFd;
    use std::time::Instant;

    use super::super::connections::Connections;
    use super::super::iterative::{StopWatch, StopWatching};
    use super::super::kind::SocketKind;
    use super::super::request::Request;
    use super::Mode;
    use crate::handler::RequestHandler;
    use crate::Result;

    /// Seals [`Mode`].
    pub trait Sealed {
        /// Makes handler threads daemon threads unless the builder says otherwise (the
        /// kind's default: HTTP servers').
        fn daemon_threads_by_default(&mut self) {}
    }

    /// What a blocking mode does (Python's `process_request` and the mixins' overrides of
    /// `service_actions`, `handle_timeout` and `server_close`).
    pub trait Blocking: Mode + Default {
        /// Gets ready before the first request is taken (a pool starts its workers), so a
        /// failure is an error of `serve_forever`.
        fn start(&self) -> Result<()> {
            Ok(())
        }

        /// Runs or hands off one request (Python's `process_request`). `listener` is a
        /// stream server's listening socket, which a forked child closes.
        fn process_request<K: SocketKind, H: RequestHandler<K::Request>>(
            &self,
            request: Request<K, H>,
            listener: Option<RawFd>,
        );

        /// Whether another request can be taken now; while not, the loop leaves requests in
        /// the socket's queue (the listen backlog) and waits to be woken.
        fn has_capacity(&self) -> bool {
            true
        }

        /// Runs on every turn of the serving loop (Python's `service_actions`).
        fn service_actions(&self) {}

        /// Runs when `handle_request` times out (Python's `handle_timeout`).
        fn handle_timeout(&self) {}

        /// Makes idle requests end: shuts down the read half of every connection, so a
        /// handler blocked reading sees end-of-file. Returns how many were asked.
        fn close_connections(&self, connections: &Connections) -> usize {
            connections.end_reads()
        }

        /// The first step of a graceful stop: ends the reads of the connections whose
        /// client has already sent something (idle between requests, or in one); those
        /// just accepted are ended after the grace. Forked children are only asked after
        /// the grace (the server cannot see what their clients sent).
        fn close_talking_connections(&self, connections: &Connections) {
            connections.end_reads_of_talkers();
        }

        /// Ends what is left once a graceful stop's deadline has passed: shuts down every
        /// connection both ways, so a handler blocked writing to a client that does not read
        /// fails and returns.
        fn abort_connections(&self, connections: &Connections) {
            connections.abort();
        }

        /// Waits until no request is in progress, or until `deadline`; returns whether none
        /// is left.
        fn wait_idle(&self, deadline: Option<Instant>) -> bool {
            let _ = deadline;
            true
        }

        /// How many requests are in progress.
        fn in_progress(&self) -> usize {
            0
        }

        /// A graceful stop has waited what it could: closing waits for nothing more.
        fn detach(&mut self) {}

        /// What the mode runs beside `serve_forever` while it serves, stopped when it
        /// returns: the iterative mode's stop watcher, which ends the request running on
        /// the serving thread when a stop comes.
        fn watch_stop(&self, stop: StopWatch) -> Option<StopWatching> {
            let _ = stop;
            None
        }
    }
}
