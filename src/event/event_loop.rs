//! The serving loop: wait for readiness with mio, accept, read into the one shared buffer,
//! call the handlers, write the queues, close what is finished.
//!
//! mio is edge-triggered: a socket is reported once when it becomes readable or writable,
//! and not again until an operation has returned `WouldBlock`. So the loop remembers what
//! each socket may still do (`wants_read`, `can_write`). For fairness a connection gets at
//! most [`READS_PER_TURN`] reads per turn; one with more input waiting goes on the `ready`
//! list and continues next turn, after everyone else's events.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};

use super::connection::Conn;
use super::mode::Config;
use super::stats::Counters;
use super::table::{Hooks, Shared as TableShared, Table};
use super::{Context, EventHandler};
use crate::handler::panic_message;
use crate::server::{classify, AcceptError, Backoff, Kind, Tcp, LISTENER, WAKE};
use crate::{Address, Error, Result, ShutdownHandle};

/// The server's shared state, as the loop sees it: the factory (with its hooks) and the
/// per-connection options.
type Shared<H> = crate::server::SharedState<Tcp, H>;

/// Connection `key` of the table is token `key + FIRST_CONN`.
const FIRST_CONN: usize = 2;
/// The one read buffer of the loop: reads are at most this large.
pub(crate) const READ_BUFFER: usize = 64 * 1024;
/// Reads one connection gets per turn before the others' events are handled.
const READS_PER_TURN: usize = 8;
/// Readiness events taken from the kernel per wait.
const EVENTS_PER_WAIT: usize = 1024;

/// Everything the loop owns between turns; it lives in the mode, behind its mutex, and
/// outlives a serving period (connections stay open after a shutdown).
pub(crate) struct Loop<H: EventHandler> {
    /// For registering and deregistering connections (a handle to the server's poller).
    registry: Registry,
    table: Table,
    /// `handlers[key]` is the handler of the table's connection `key`; kept apart from the
    /// table so a callback can hold its handler and the whole table at once.
    handlers: Vec<Option<H>>,
    shared: Arc<Shared<H>>,
    read_buf: Box<[u8]>,
    config: Config,
    nodelay: bool,
    accept: AcceptState,
    /// When to look for idle connections next (with an idle timeout).
    idle_scan_at: Option<Instant>,
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
struct AcceptState {
    backoff: Backoff,
    /// Out of descriptors: accept again at this time.
    retry_at: Option<Instant>,
    /// At `max_connections`: accept again when one closes.
    full: bool,
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
        });
        let nodelay = shared.context.options.disable_nagle_algorithm;
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
        }
    }

    /// Serves until a shutdown is requested. Connections stay open afterwards: serving
    /// again resumes them.
    pub(crate) fn run(
        &mut self,
        poll: &mut Poll,
        listener: &Tcp,
        shutdown: &ShutdownHandle,
    ) -> Result<()> {
        let mut events = Events::with_capacity(EVENTS_PER_WAIT);
        let listener = listener.raw_fd();
        self.table.now = Instant::now();
        if let Some(timeout) = self.config.idle_timeout {
            self.idle_scan_at = Some(self.table.now + timeout / 8);
        }
        // Clients that queued up while nothing was serving get no new edge: look now.
        self.accept_all(listener)?;
        while !shutdown.is_shutdown_requested() {
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
                    WAKE => shutdown.state().woken(),
                    LISTENER => self.accept_all(listener)?,
                    Token(token) => self.on_event(token - FIRST_CONN, event),
                }
            }
            self.run_ready();
            self.close_idle();
            let below_max = self
                .config
                .max_connections
                .is_none_or(|max| self.table.conns.len() < max);
            let retry_due = self.accept.retry_at.is_some_and(|at| at <= self.table.now);
            if (self.accept.full && below_max) || retry_due {
                self.accept.retry_at = None;
                self.accept_all(listener)?;
            }
        }
        Ok(())
    }

    /// A graceful stop, after the listening socket is gone, as the blocking modes do it:
    /// every connection's read half is shut down, so what the client already sent is
    /// read and handled and then the handler sees end-of-file; queued output (and what
    /// `on_drained` adds) is written; each connection closes once it is finished. At
    /// `deadline` the rest are closed. Returns how many were still open then.
    pub(crate) fn drain(&mut self, poll: &mut Poll, grace: Instant, deadline: Instant) -> usize {
        let mut events = Events::with_capacity(EVENTS_PER_WAIT);
        // A connection just accepted may not have sent its first bytes yet: serve as
        // usual for the grace, so that requests already on their way are not cut off.
        self.turns_until(poll, &mut events, grace.min(deadline));
        let keys: Vec<usize> = self.table.conns.iter().map(|(key, _)| key).collect();
        for key in keys {
            if let Some(conn) = self.table.conns.get_mut(key) {
                let _ = conn.socket.shutdown(std::net::Shutdown::Read);
                // The end-of-file is read next, whether or not a new edge reports it.
                conn.flags.wants_read = true;
                conn.flags.hup = true;
                self.table.pending.mark_ready(conn, key);
            }
        }
        self.settle();
        self.turns_until(poll, &mut events, deadline);
        let left = self.table.pending.live;
        if left > 0 {
            log::warn!("{left} connections still had output queued at the drain timeout: closed");
        }
        self.close_all();
        left
    }

    /// Turns of the loop without accepting, until no connection is left or `until`.
    fn turns_until(&mut self, poll: &mut Poll, events: &mut Events, until: Instant) {
        while self.table.pending.live > 0 {
            let now = Instant::now();
            if now >= until {
                return;
            }
            let timeout = if self.table.pending.ready.is_empty() {
                until - now
            } else {
                Duration::ZERO
            };
            if let Err(err) = poll.poll(events, Some(timeout)) {
                if err.kind() != io::ErrorKind::Interrupted {
                    log::error!("polling while draining: {err}");
                    return;
                }
            }
            self.table.now = Instant::now();
            self.table.turn += 1;
            for event in events.iter() {
                if let Token(token @ FIRST_CONN..) = event.token() {
                    self.on_event(token - FIRST_CONN, event);
                }
            }
            self.run_ready();
        }
    }

    /// Wait for nothing while work is ready, else until the next timer.
    fn poll_timeout(&self) -> Option<Duration> {
        if !self.table.pending.ready.is_empty() {
            return Some(Duration::ZERO);
        }
        let next = match (self.accept.retry_at, self.idle_scan_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        next.map(|at| at.saturating_duration_since(Instant::now()))
    }

    fn accept_all(&mut self, listener: RawFd) -> Result<()> {
        loop {
            if let Some(max) = self.config.max_connections {
                if self.table.conns.len() >= max {
                    if !self.accept.full {
                        log::info!(
                            "max_connections ({max}) reached: new clients wait in the backlog"
                        );
                        self.accept.full = true;
                    }
                    return Ok(());
                }
            }
            self.accept.full = false;
            if self.accept.retry_at.is_some() {
                return Ok(());
            }
            match crate::sys::accept_nonblocking(listener) {
                Ok((stream, peer)) => {
                    self.accept.backoff.resumed();
                    self.admit(TcpStream::from_std(stream), peer);
                }
                Err(err) => match classify(&err) {
                    AcceptError::WouldBlock => return Ok(()),
                    AcceptError::Transient => {}
                    AcceptError::OutOfResources => {
                        self.accept.retry_at = Some(self.accept.backoff.pause(&err));
                        return Ok(());
                    }
                    AcceptError::Fatal => return Err(err.into()),
                },
            }
        }
    }

    /// Takes a new connection into the table and runs `on_connect`.
    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        if !self.table.shared.verify(peer) {
            log::debug!("verify_request refused {peer}");
            return;
        }
        if self.nodelay {
            if let Err(err) = stream.set_nodelay(true) {
                log::debug!("TCP_NODELAY on {peer}: {err}");
            }
        }
        let serial = self.table.next_serial();
        let shared = &self.table.shared;
        let entry = self.table.conns.vacant_entry();
        let key = entry.key();
        let token = Token(key + FIRST_CONN);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(err) = self.registry.register(&mut stream, token, interest) {
            shared.report(peer, &Error::Io(err));
            return;
        }
        entry.insert(Conn::new(stream, peer, serial, self.table.now));
        self.table.pending.live += 1;
        self.table.shared.counters.opened();
        if self.handlers.len() <= key {
            self.handlers.resize_with(key + 1, || None);
        }
        let factory = &self.shared.factory;
        match panic::catch_unwind(AssertUnwindSafe(|| factory.make_handler())) {
            Ok(handler) => self.handlers[key] = Some(handler),
            Err(payload) => {
                let err = Error::HandlerPanicked(panic_message(payload.as_ref()));
                self.table.fail(key, err);
                self.settle();
                return;
            }
        }
        self.call(key, |handler, ctx| handler.on_connect(ctx));
        self.flush(key);
        self.settle();
    }

    fn on_event(&mut self, key: usize, event: &Event) {
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

    /// Reads what `key` has, up to the per-turn budget, handing each read to the handler.
    fn read(&mut self, key: usize) {
        let limit = self.table.shared.limits.output_limit;
        for _ in 0..READS_PER_TURN {
            let Some(conn) = self.table.conns.get_mut(key) else {
                return;
            };
            if !conn.may_read() {
                return;
            }
            let queued = conn.out.len();
            if queued >= limit {
                // Backpressure: the flush that brings the queue below half resumes us.
                conn.flags.paused = true;
                self.table.shared.counters.paused(true);
                return;
            }
            let room = (limit - queued).min(self.read_buf.len());
            match conn.socket.read(&mut self.read_buf[..room]) {
                Ok(0) => {
                    conn.flags.read_closed = true;
                    conn.flags.wants_read = false;
                    self.call(key, |handler, ctx| handler.on_eof(ctx));
                    self.flush(key);
                    return;
                }
                Ok(n) => {
                    conn.last_active = self.table.now;
                    // A short read emptied the socket: epoll and kqueue report data that
                    // arrives after it as a new edge (tokio relies on the same), so the
                    // read that would return `WouldBlock` can be saved. Not so for an
                    // end-of-file already reported: it is read next, with no new edge.
                    if n < room && !conn.flags.hup {
                        conn.flags.wants_read = false;
                    }
                    let Loop {
                        table,
                        handlers,
                        read_buf,
                        ..
                    } = self;
                    if let Some(handler) = handlers[key].as_mut() {
                        invoke(table, key, handler, |h, ctx| h.on_data(ctx, &read_buf[..n]));
                    }
                    self.flush(key);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    conn.flags.wants_read = false;
                    return;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.table.fail(key, Error::Io(err));
                    return;
                }
            }
        }
        // Budget spent with input maybe left: continue next turn, after the others.
        if let Some(conn) = self.table.conns.get_mut(key) {
            if conn.may_read() {
                self.table.pending.mark_ready(conn, key);
            }
        }
    }

    /// Writes `key`'s queue as far as the socket takes it; resumes reading below half the
    /// output limit; calls `on_drained` when the queue empties; closes a finished
    /// connection.
    fn flush(&mut self, key: usize) {
        loop {
            let Some(conn) = self.table.conns.get_mut(key) else {
                return;
            };
            conn.flags.in_dirty = false;
            if conn.flags.dead {
                return;
            }
            let before = conn.out.len();
            if before > 0 && conn.flags.can_write {
                let result = conn.out.write_to(&mut conn.socket);
                let after = conn.out.len();
                self.table.shared.counters.written(before - after);
                if let Err(err) = result {
                    self.table.fail(key, Error::Io(err));
                    return;
                }
                if after < before {
                    conn.last_active = self.table.now;
                }
                if after > 0 {
                    conn.flags.can_write = false; // the writable edge resumes us
                }
                let limit = self.table.shared.limits.output_limit;
                if conn.flags.paused && after <= limit / 2 {
                    conn.flags.paused = false;
                    self.table.shared.counters.paused(false);
                    if conn.may_read() {
                        self.table.pending.mark_ready(conn, key);
                    }
                }
            }
            let drained = before > 0 && conn.out.is_empty();
            if drained && !conn.flags.closing {
                if conn.drained_turn == self.table.turn {
                    conn.flags.owes_drained = true;
                    self.table.pending.mark_ready(conn, key);
                } else {
                    conn.drained_turn = self.table.turn;
                    self.call(key, |handler, ctx| handler.on_drained(ctx));
                    continue; // write what on_drained queued
                }
            }
            if conn.is_finished() {
                self.table.doom(key);
            }
            return;
        }
    }

    /// Continues the work of the `ready` list: reads past the budget or after
    /// backpressure, and deferred `on_drained` calls.
    fn run_ready(&mut self) {
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
    fn settle(&mut self) {
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

    /// Runs `on_close` and drops the connection (closing its socket).
    fn remove(&mut self, key: usize) {
        if let Some(mut handler) = self.handlers.get_mut(key).and_then(Option::take) {
            invoke(&mut self.table, key, &mut handler, |h, ctx| {
                h.on_close(ctx);
                Ok(())
            });
        }
        let Some(mut conn) = self.table.conns.try_remove(key) else {
            return;
        };
        // Closing the descriptor would deregister it too; this keeps mio's books exact.
        let _ = self.registry.deregister(&mut conn.socket);
        let counters = &self.table.shared.counters;
        counters.closed(conn.out.len(), conn.flags.paused);
    }

    /// Closes connections on which nothing moved for the idle timeout. Scans the table at
    /// most every eighth of the timeout, so a busy server does not scan after every event.
    fn close_idle(&mut self) {
        let (Some(timeout), Some(scan_at)) = (self.config.idle_timeout, self.idle_scan_at) else {
            return;
        };
        let now = self.table.now;
        if now < scan_at {
            return;
        }
        let mut next = now + timeout;
        let Table { conns, pending, .. } = &mut self.table;
        for (key, conn) in conns.iter_mut() {
            if conn.flags.dead {
                continue;
            }
            let expires = conn.last_active + timeout;
            if expires <= now {
                log::debug!("closing {}: idle for {timeout:?}", conn.peer);
                pending.doom(conn, key);
            } else {
                next = next.min(expires);
            }
        }
        self.idle_scan_at = Some(next.max(now + timeout / 8));
        self.settle();
    }

    /// Closes every connection (each handler's `on_close` runs): the server is going away.
    pub(crate) fn close_all(&mut self) {
        let keys: Vec<usize> = self.table.conns.iter().map(|(key, _)| key).collect();
        for key in keys {
            self.table.doom(key);
        }
        self.settle();
    }

    /// Calls a callback of `key`'s handler, if it still has one.
    fn call(&mut self, key: usize, f: impl FnOnce(&mut H, &mut Context<'_>) -> io::Result<()>) {
        if let Some(handler) = self.handlers.get_mut(key).and_then(Option::as_mut) {
            invoke(&mut self.table, key, handler, f);
        }
    }
}

/// Runs one callback; an error or a panic is reported and closes the connection.
fn invoke<H>(
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
