//! The serving loop of the blocking modes (Python's `serve_forever`, `handle_request`,
//! `_handle_request_noblock`) and their graceful stop. The modes differ only in what
//! [`Blocking`] says: how a request is processed, whether another can be taken, what
//! closing waits for.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Events, Poll};

use super::accept::{classify, AcceptError, Backoff};
use super::base::Run;
use super::core::WAKE;
use super::iterative::StopWatch;
use super::kind::SocketKind;
use super::mode::Blocking;
use super::request::Request;
use super::Server;
use crate::handler::RequestHandler;
use crate::Result;

/// How long a graceful stop waits, after ending the connections left at its deadline,
/// for their handlers to return.
const ABORT_GRACE: Duration = Duration::from_millis(500);

/// How long a graceful stop lets requests run on their own before it ends the reads of
/// those left (see `close_blocking`).
pub(crate) const STOP_GRACE: Duration = Duration::from_millis(100);

impl<K: SocketKind, M: Blocking, H: RequestHandler<K::Request>> Run<K, H> for M {
    fn serve_forever(server: &Server<K, M, H>) -> Result<()> {
        server.serve_blocking()
    }

    fn close_connections(server: &Server<K, M, H>) -> usize {
        server
            .mode
            .close_connections(&server.shared.context.connections)
    }

    fn open_connections(server: &Server<K, M, H>) -> usize {
        server.shared.context.connections.len()
    }

    fn close_gracefully(server: Server<K, M, H>) -> usize {
        server.close_blocking()
    }
}

impl<K: SocketKind, M: Blocking, H: RequestHandler<K::Request>> Server<K, M, H> {
    /// The blocking modes' `serve_forever`.
    fn serve_blocking(&self) -> Result<()> {
        self.mode.start()?;
        let Some(mut serving) = self.core.serve()? else {
            return Ok(());
        };
        self.shared.context.connections.reopen();
        let _watching = self.mode.watch_stop(self.stop_watch(false));
        let mut events = Events::with_capacity(4);
        let mut backoff = Backoff::default();
        while !self.core.shutdown.is_requested() {
            let until = Until::Interval(self.serve.poll_interval);
            let next = self.next_request(&mut serving.poll, &mut events, &mut backoff, until)?;
            if let Some(incoming) = next {
                self.process(incoming);
            }
            self.mode.service_actions();
            self.shared.factory.service_actions();
        }
        Ok(())
    }

    /// Waits for one request and handles it (Python's `handle_request`).
    ///
    /// Waits at most the server's `timeout` (forever when it has none); when it passes,
    /// calls `handle_timeout` and returns `Ok(false)`. Returns `Ok(true)` once a request
    /// was handled (or refused by `verify_request`), and `Ok(false)` when a shutdown was
    /// requested meanwhile.
    pub fn handle_request(&self) -> Result<bool> {
        self.mode.start()?;
        let mut poll = self.core.lock()?;
        self.shared.context.connections.reopen();
        let mut events = Events::with_capacity(4);
        let deadline = self.serve.timeout.map(|t| Instant::now() + t);
        let mut backoff = Backoff::default();
        let until = Until::Deadline(deadline);
        match self.next_request(&mut poll, &mut events, &mut backoff, until)? {
            Some(incoming) => {
                self.process(incoming);
                Ok(true)
            }
            None => {
                if !self.core.shutdown.is_requested() {
                    self.mode.handle_timeout();
                    self.shared.factory.handle_timeout();
                }
                Ok(false)
            }
        }
    }

    /// The blocking modes' `close_gracefully`.
    fn close_blocking(self) -> usize {
        if K::LISTENS {
            // An iterative server runs these requests on this thread: the watcher bounds
            // them as it bounded the request in progress.
            let _watching = self.mode.watch_stop(self.stop_watch(true));
            self.core.last_accepts().take(|| self.take_queued());
        }
        let Server {
            core,
            shared,
            serve,
            mut mode,
        } = self;
        drop(core);
        let connections = &shared.context.connections;
        let start = Instant::now();
        let deadline = start + serve.drain_timeout;
        // Clients that have sent something are ended at once: a handler waiting for
        // their next request sees end-of-file, one in the middle of a request finishes it
        // (the bytes already sent are still read). A connection just accepted may not have
        // sent its first bytes yet: ending its reads now would drop its request, so those
        // get the grace, and the ones still silent after it are idle clients.
        let grace = (start + STOP_GRACE).min(deadline);
        mode.close_talking_connections(connections);
        if !mode.wait_idle(Some(grace)) {
            mode.close_connections(connections);
        }
        let mut left = 0;
        if !mode.wait_idle(Some(deadline)) {
            left = mode.in_progress();
            log::warn!(
                "{left} requests still running after the drain timeout ({:?}): ending their connections",
                serve.drain_timeout
            );
            mode.abort_connections(connections);
            if !mode.wait_idle(Some(Instant::now() + ABORT_GRACE)) {
                log::warn!(
                    "{} requests did not return; leaving them",
                    mode.in_progress()
                );
            }
        }
        mode.detach();
        left
    }

    /// What the iterative mode's stop watcher needs; `begun`: the stop has begun already.
    fn stop_watch(&self, begun: bool) -> StopWatch {
        StopWatch {
            shutdown: Arc::clone(&self.core.shutdown),
            connections: Arc::clone(&self.shared.context.connections),
            drain_timeout: self.serve.drain_timeout,
            begun,
        }
    }

    /// Takes the connections queued on the socket while the mode has room for them.
    fn take_queued(&self) {
        while self.mode.has_capacity() {
            match self.core.socket.accept() {
                Ok(incoming) => self.process(incoming),
                Err(err) => match classify(&err) {
                    AcceptError::Transient => {}
                    _ => return,
                },
            }
        }
    }

    /// Python's `verify_request` + `process_request`.
    fn process(&self, incoming: K::Incoming) {
        let request = Request::new(incoming, &self.shared);
        // With a PROXY header the real client is known only once it is read, where the
        // request runs: `verify_request` runs there then.
        let verified_later = K::has_preamble(&self.shared.context.options);
        if verified_later || self.shared.factory.verify_request(request.client_address()) {
            let listener = K::LISTENS.then(|| self.core.raw_fd());
            self.mode.process_request(request, listener);
        } else {
            log::debug!("verify_request refused {}", request.client_address());
            request.refuse();
        }
    }

    /// Waits until the mode can take a request and one arrives, or until `until` or a
    /// shutdown request (then `None`).
    ///
    /// The socket is registered edge-triggered, so it is always read until `WouldBlock`
    /// before waiting: a request left queued by an earlier call is never missed.
    fn next_request(
        &self,
        poll: &mut Poll,
        events: &mut Events,
        backoff: &mut Backoff,
        until: Until,
    ) -> Result<Option<K::Incoming>> {
        let mut resolved = None;
        loop {
            if self.core.shutdown.is_requested() {
                return Ok(None);
            }
            let mut pause = None;
            if self.mode.has_capacity() {
                match self.core.socket.accept() {
                    Ok(incoming) => {
                        backoff.resumed();
                        return Ok(Some(incoming));
                    }
                    Err(err) => match classify(&err) {
                        AcceptError::WouldBlock => {}
                        AcceptError::Transient => continue,
                        AcceptError::OutOfResources => pause = Some(backoff.pause(&err)),
                        AcceptError::Fatal => return Err(err.into()),
                    },
                }
            }
            let deadline = *resolved.get_or_insert_with(|| until.deadline());
            let wait_until = match (deadline, pause) {
                (Some(d), Some(p)) => Some(d.min(p)),
                (d, p) => d.or(p),
            };
            let timeout = match wait_until {
                Some(at) => match at.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ if wait_until == deadline => return Ok(None),
                    _ => continue, // the backoff pause is over: try again
                },
                None => None,
            };
            match poll.poll(events, timeout) {
                Ok(()) => {
                    if events.iter().any(|event| event.token() == WAKE) {
                        self.core.shutdown.woken();
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
}

/// When [`next_request`](Server::next_request) stops waiting.
#[derive(Debug, Clone, Copy)]
enum Until {
    /// `poll_interval` after it starts to wait: the clock is read only when there is
    /// nothing to take at once, so a busy server reads no clock per request.
    Interval(Duration),
    /// A deadline (`None`: none).
    Deadline(Option<Instant>),
}

impl Until {
    fn deadline(self) -> Option<Instant> {
        match self {
            Until::Interval(interval) => Some(Instant::now() + interval),
            Until::Deadline(deadline) => deadline,
        }
    }
}
