//! The serving loop: wait for readiness with mio, accept, read into the one shared buffer,
//! call the handlers, write the queues, close what is finished.
//!
//! mio is edge-triggered: a socket is reported once when it becomes readable or writable,
//! and not again until an operation has returned `WouldBlock`. So the loop remembers what
//! each socket may still do (`wants_read`, `can_write`). For fairness a connection gets at
//! most [`READS_PER_TURN`] reads per turn; one with more input waiting goes on the `ready`
//! list and continues next turn, after everyone else's events.

use std::io;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::{Events, Poll, Registry, Token};

use super::config::{Config, READ_BUFFER};
use super::stats::Counters;
use super::table::{Hooks, Shared as TableShared, Table};
use super::{Context, EventHandler};
use crate::handler::panic_message;
use crate::server::{Backoff, Tcp, LISTENER, WAKE};
use crate::{Address, Error, Result, ShutdownHandle};

/// The server's shared state, as the loop sees it: the factory (with its hooks) and the
/// per-connection options.
type Shared<H> = crate::server::SharedState<Tcp, H>;

/// Connection `key` of the table is token `key + FIRST_CONN`.
pub(super) const FIRST_CONN: usize = 2;
/// Reads one connection gets per turn before the others' events are handled.
pub(super) const READS_PER_TURN: usize = 8;
/// Readiness events taken from the kernel per wait.
pub(super) const EVENTS_PER_WAIT: usize = 1024;

/// Everything the loop owns between turns; it lives in the mode, behind its mutex, and
/// outlives a serving period (connections stay open after a shutdown).
pub(crate) struct Loop<H: EventHandler> {
    /// For registering and deregistering connections (a handle to the server's poller).
    pub(super) registry: Registry,
    pub(super) table: Table,
    /// `handlers[key]` is the handler of the table's connection `key`; kept apart from the
    /// table so a callback can hold its handler and the whole table at once.
    pub(super) handlers: Vec<Option<H>>,
    pub(super) shared: Arc<Shared<H>>,
    pub(super) read_buf: Box<[u8]>,
    pub(super) config: Config,
    pub(super) nodelay: bool,
    pub(super) accept: AcceptState,
    /// When to look for idle connections next (with an idle timeout).
    pub(super) idle_scan_at: Option<Instant>,
    /// When to look for connections past their setup deadline (PROXY header, TLS
    /// handshake) next.
    pub(super) setup_scan_at: Option<Instant>,
    /// With TLS: the buffer decrypted input is handed to the handlers from (one for the
    /// loop, as `read_buf` is), and when to look for stalled handshakes next.
    #[cfg(feature = "tls")]
    pub(super) tls: super::tls::LoopTls,
    /// With [`Backend::IoUring`](super::Backend::IoUring) where the kernel allows it: the
    /// ring that does the connections' I/O (the listener and the waker stay on epoll).
    /// Declared last so it drops after the table, whose sockets it may still hold I/O on.
    pub(super) uring: Option<Box<super::uring::Uring>>,
}

/// What ends a loop's [`run`](Loop::run): for the first loop (or the only one) the
/// server's shutdown state; for the other loops of a server with several, a flag the first
/// loop sets as it ends. Generic, so the one-loop path pays for no indirection.
pub(crate) trait Stop {
    /// Whether the loop is to end before its next wait.
    fn requested(&self) -> bool;
    /// The loop's wake-up token was reported.
    fn woken(&self);
}

impl Stop for ShutdownHandle {
    fn requested(&self) -> bool {
        self.is_shutdown_requested()
    }

    fn woken(&self) {
        self.state().woken();
    }
}

/// The factory's hooks for the table (its handler type stays out of the table).
impl<H: Send + 'static> Hooks for Shared<H> {
    fn report(&self, client: &Address, err: &Error) {
        crate::server::SharedState::report(self, client, err);
    }

    fn verify(&self, client: &Address) -> bool {
        self.factory.verify_request(client)
    }
}

#[derive(Debug, Default)]
pub(super) struct AcceptState {
    pub(super) backoff: Backoff,
    /// Out of descriptors: accept again at this time.
    pub(super) retry_at: Option<Instant>,
    /// At `max_connections`: accept again when one closes.
    pub(super) full: bool,
}

impl<H: EventHandler> Loop<H> {
    pub(crate) fn new(
        registry: Registry,
        shared: Arc<Shared<H>>,
        config: Config,
        counters: Arc<Counters>,
        shutdown: ShutdownHandle,
    ) -> Self {
        let hooks: Arc<dyn Hooks> = Arc::clone(&shared) as Arc<dyn Hooks>;
        let table = Table::new(TableShared {
            limits: config.limits(),
            counters,
            shutdown,
            hooks,
            server: Arc::clone(&shared.context.server),
        });
        let nodelay = shared.context.options.disable_nagle_algorithm;
        let uring = match config.backend {
            super::Backend::Epoll => None,
            // A worker loop drains on another thread than the one that served, and the
            // kernel cancels a thread's io_uring requests when it exits: until the drain
            // can run on the serving thread, several loops serve with epoll.
            super::Backend::IoUring if config.loops > 1 => {
                log::warn!(
                    "io_uring serves one event loop: with {} loops, epoll is used",
                    config.loops
                );
                None
            }
            super::Backend::IoUring => match super::uring::Uring::new(config.refuse_uring) {
                Ok(uring) => Some(Box::new(uring)),
                Err(err) => {
                    log::warn!("io_uring is not available ({err}): the event loop uses epoll");
                    None
                }
            },
        };
        table.shared.counters.set_backend(if uring.is_some() {
            super::Backend::IoUring
        } else {
            super::Backend::Epoll
        });
        Loop {
            registry,
            table,
            handlers: Vec::new(),
            shared,
            read_buf: vec![0; READ_BUFFER].into_boxed_slice(),
            config,
            nodelay,
            accept: AcceptState::default(),
            idle_scan_at: None,
            setup_scan_at: None,
            #[cfg(feature = "tls")]
            tls: super::tls::LoopTls::default(),
            uring,
        }
    }

    /// Serves until `stop` says so. Connections stay open afterwards: serving again
    /// resumes them. `listener` is this loop's listening socket, registered in `poll`
    /// under [`LISTENER`].
    pub(crate) fn run<S: Stop>(
        &mut self,
        poll: &mut Poll,
        listener: RawFd,
        stop: &S,
    ) -> Result<()> {
        let mut events = Events::with_capacity(EVENTS_PER_WAIT);
        self.table.now = Instant::now();
        if let Some(timeout) = self.config.idle_timeout {
            self.idle_scan_at = Some(self.table.now + timeout / 8);
        }
        if self.uring.is_some() {
            return self.run_uring(poll, listener, stop);
        }
        // Clients that queued up while nothing was serving get no new edge: look now.
        self.accept_all(listener)?;
        while !stop.requested() {
            let timeout = self.poll_timeout();
            if let Err(err) = poll.poll(&mut events, timeout) {
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err.into());
                }
            }
            self.table.now = Instant::now();
            self.table.turn += 1;
            for event in events.iter() {
                match event.token() {
                    WAKE => stop.woken(),
                    LISTENER => self.accept_all(listener)?,
                    Token(token) => self.on_event(token - FIRST_CONN, event),
                }
            }
            self.run_ready();
            self.end_turn(listener)?;
        }
        Ok(())
    }

    /// The end of every turn, whatever the backend: timeouts, and accepting again after
    /// a pause.
    pub(super) fn end_turn(&mut self, listener: std::os::fd::RawFd) -> Result<()> {
        self.close_idle();
        self.close_stalled_setups();
        let below_max = self
            .config
            .max_connections
            .is_none_or(|max| self.table.conns.len() < max);
        let retry_due = self.accept.retry_at.is_some_and(|at| at <= self.table.now);
        if (self.accept.full && below_max) || retry_due {
            self.accept.retry_at = None;
            self.accept_all(listener)?;
        }
        Ok(())
    }

    /// Wait for nothing while work is ready, else until the next timer.
    pub(super) fn poll_timeout(&self) -> Option<Duration> {
        if !self.table.pending.ready.is_empty() {
            return Some(Duration::ZERO);
        }
        let next = [self.accept.retry_at, self.idle_scan_at, self.setup_scan_at]
            .into_iter()
            .flatten()
            .min();
        next.map(|at| at.saturating_duration_since(Instant::now()))
    }

    pub(super) fn on_event(&mut self, key: usize, event: &Event) {
        let Some(conn) = self.table.conns.get_mut(key) else {
            return;
        };
        if conn.flags.dead {
            return;
        }
        // Errors and hang-ups are found by the read or write they make fail.
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            conn.flags.wants_read = true;
        }
        if event.is_read_closed() || event.is_error() {
            conn.flags.hup = true;
        }
        if event.is_writable() || event.is_write_closed() || event.is_error() {
            conn.flags.can_write = true;
        }
        self.flush(key);
        self.read(key);
        self.settle();
    }

    /// Continues the work of the `ready` list: reads past the budget or after
    /// backpressure, and deferred `on_drained` calls.
    pub(super) fn run_ready(&mut self) {
        let ready = std::mem::take(&mut self.table.pending.ready);
        for &key in &ready {
            let Some(conn) = self.table.conns.get_mut(key) else {
                continue;
            };
            conn.flags.in_ready = false;
            if conn.flags.dead {
                continue;
            }
            if conn.flags.owes_drained {
                conn.flags.owes_drained = false;
                conn.drained_turn = self.table.turn;
                self.call(key, |handler, ctx| handler.on_drained(ctx));
                self.flush(key);
            }
            self.read(key);
            self.settle();
        }
        // Keep the list's allocation for the next turn.
        if self.table.pending.ready.is_empty() {
            let mut ready = ready;
            ready.clear();
            self.table.pending.ready = ready;
        }
    }

    /// Flushes every connection that callbacks queued output for and removes the closed
    /// ones, until neither list has anything left (an `on_close` may queue output, a flush
    /// may close).
    pub(super) fn settle(&mut self) {
        loop {
            if !self.table.pending.dirty.is_empty() {
                let mut dirty = std::mem::take(&mut self.table.pending.dirty);
                for &key in &dirty {
                    if self.table.conns.get(key).is_some_and(|c| c.flags.in_dirty) {
                        self.flush(key);
                    }
                }
                // Keep the list's allocation: a fresh one per reply cost an allocation
                // for every round trip.
                if self.table.pending.dirty.is_empty() {
                    dirty.clear();
                    self.table.pending.dirty = dirty;
                }
            } else if let Some(key) = self.table.pending.doomed.pop() {
                self.remove(key);
            } else {
                return;
            }
        }
    }

    /// Calls a callback of `key`'s handler, if it still has one.
    pub(super) fn call(
        &mut self,
        key: usize,
        f: impl FnOnce(&mut H, &mut Context<'_>) -> io::Result<()>,
    ) {
        if let Some(handler) = self.handlers.get_mut(key).and_then(Option::as_mut) {
            invoke(&mut self.table, key, handler, f);
        }
    }
}

/// Runs one callback; an error or a panic is reported and closes the connection.
pub(super) fn invoke<H>(
    table: &mut Table,
    key: usize,
    handler: &mut H,
    f: impl FnOnce(&mut H, &mut Context<'_>) -> io::Result<()>,
) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        f(handler, &mut Context::new(table, key))
    }));
    let err = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(err)) => Error::Io(err),
        Err(payload) => Error::HandlerPanicked(panic_message(payload.as_ref())),
    };
    table.fail(key, err);
}

impl<H: EventHandler> std::fmt::Debug for Loop<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loop")
            .field("table", &self.table)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
