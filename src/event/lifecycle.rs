//! Connections coming and going in the event loop: accepting (with backoff when out of
//! descriptors, and a pause at `max_connections`), admitting (`on_connect`), the idle
//! timeout, removing (`on_close`), and a graceful stop's drain.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::connection::Conn;
use super::event_loop::{invoke, Loop, EVENTS_PER_WAIT, FIRST_CONN};
use super::table::Table;
use super::EventHandler;
use crate::handler::panic_message;
use crate::server::{classify, AcceptError, LastAccepts};
use crate::{Error, Result};

/// The least time between two scans for stalled PROXY headers and TLS handshakes: a
/// connection is closed at most this much after its deadline.
const SETUP_SCAN_INTERVAL: Duration = Duration::from_millis(50);

impl<H: EventHandler> Loop<H> {
    /// A graceful stop, as the blocking modes do it: the last connections are taken from
    /// `listener` (this loop no longer polls it) and its closure closes it, then every
    /// connection's read half is shut down, so what the client already sent is
    /// read and handled and then the handler sees end-of-file; queued output (and what
    /// `on_drained` adds) is written; each connection closes once it is finished. At
    /// `deadline` the rest are closed. Returns how many were still open then.
    pub(crate) fn drain(
        &mut self,
        poll: &mut Poll,
        listener: Option<(LastAccepts, impl FnOnce())>,
        grace: Instant,
        deadline: Instant,
    ) -> usize {
        let mut events = Events::with_capacity(EVENTS_PER_WAIT);
        // On io_uring the drain is a serving period of its own, maybe on another thread.
        if let Err(err) = self.uring_begin() {
            log::error!("io_uring while draining: {err}");
        }
        if let Some((listener, close)) = listener {
            listener.take(|| {
                if let Err(err) = self.accept_all(listener.fd) {
                    log::error!("accepting while stopping: {err}");
                }
            });
            close();
        }
        // Connections whose client has sent something are ended at once; one just
        // accepted may not have sent its first bytes yet, so the others are served as
        // usual for the grace before their reads end too.
        self.end_reads(|conn| conn.flags.received);
        self.turns_until(poll, &mut events, grace.min(deadline));
        self.end_reads(|_| true);
        self.turns_until(poll, &mut events, deadline);
        let left = self.table.pending.live;
        if left > 0 {
            log::warn!("{left} connections still had output queued at the drain timeout: closed");
        }
        self.close_all();
        self.uring_end(poll, &mut events);
        left
    }

    /// Shuts down the read half of the connections `which` picks: what the client already
    /// sent is read and handled, then the handler sees end-of-file.
    fn end_reads(&mut self, which: impl Fn(&Conn) -> bool) {
        let Table { conns, pending, .. } = &mut self.table;
        for (key, conn) in conns.iter_mut() {
            if conn.flags.dead || conn.flags.read_closed || !which(conn) {
                continue;
            }
            let _ = conn.socket.shutdown(std::net::Shutdown::Read);
            // The end-of-file is read next, whether or not a new edge reports it.
            conn.flags.wants_read = true;
            conn.flags.hup = true;
            pending.mark_ready(conn, key);
        }
        self.settle();
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
            if self.uring.is_some() {
                self.uring_drain_turn(poll, events, until);
                continue;
            }
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

    pub(super) fn accept_all(&mut self, listener: RawFd) -> Result<()> {
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
        // With PROXY headers the real client is known, and verified, once its header is in.
        let proxied = self.shared.context.options.proxy.is_some();
        if proxied {
            if !self.proxy_admits(peer) {
                return;
            }
        } else if !self.table.shared.verify(peer) {
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
        if let Some(uring) = self.uring.as_mut() {
            uring.add(key, std::os::fd::AsRawFd::as_raw_fd(&stream), serial);
        } else if let Err(err) = self.registry.register(&mut stream, token, interest) {
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
        if proxied {
            self.start_proxy(key); // TLS starts after the header
        } else {
            #[cfg(feature = "tls")]
            if !self.start_tls(key) {
                self.settle();
                return;
            }
        }
        // With a PROXY header or TLS, `on_connect` waits for them.
        if self.table.conns[key].is_established() {
            self.call(key, |handler, ctx| handler.on_connect(ctx));
        }
        self.flush(key);
        self.settle();
    }

    /// Runs `on_close` and drops the connection (closing its socket).
    pub(super) fn remove(&mut self, key: usize) {
        if let Some(mut handler) = self.handlers.get_mut(key).and_then(Option::take) {
            invoke(&mut self.table, key, &mut handler, |h, ctx| {
                h.on_close(ctx);
                Ok(())
            });
        }
        let Some(mut conn) = self.table.conns.try_remove(key) else {
            return;
        };
        let counters = &self.table.shared.counters;
        counters.closed(conn.out.len(), conn.flags.paused);
        if let Some(uring) = self.uring.as_mut() {
            // The ring may still hold operations on the socket: it closes it after them.
            uring.forget(key, conn.socket);
            return;
        }
        // Closing the descriptor would deregister it too; this keeps mio's books exact.
        let _ = self.registry.deregister(&mut conn.socket);
    }

    /// Closes connections on which nothing moved for the idle timeout. Scans the table at
    /// most every eighth of the timeout, so a busy server does not scan after every event.
    pub(super) fn close_idle(&mut self) {
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

    /// Makes sure connections past `deadline` (for their PROXY header or TLS handshake)
    /// are looked for then.
    pub(super) fn note_setup_deadline(&mut self, deadline: Instant) {
        self.setup_scan_at = Some(self.setup_scan_at.map_or(deadline, |at| at.min(deadline)));
    }

    /// Closes connections whose PROXY header or TLS handshake is past its deadline.
    /// Scans at most every [`SETUP_SCAN_INTERVAL`], so that a stream of new connections,
    /// each with a deadline of its own, does not make a scan per connection.
    pub(super) fn close_stalled_setups(&mut self) {
        let Some(scan_at) = self.setup_scan_at else {
            return;
        };
        let now = self.table.now;
        if now < scan_at {
            return;
        }
        let mut next: Option<Instant> = None;
        let header_timeout = self
            .shared
            .context
            .options
            .proxy
            .as_ref()
            .map(|p| p.timeout());
        let Table {
            conns,
            pending,
            shared,
            ..
        } = &mut self.table;
        for (key, conn) in conns.iter_mut() {
            let Some(deadline) = conn.setup_deadline() else {
                continue;
            };
            if conn.flags.dead {
                continue;
            }
            if deadline <= now {
                let late_header = Error::Proxy(format!(
                    "no complete PROXY header within {:?}",
                    header_timeout.unwrap_or_default()
                ));
                #[cfg(feature = "tls")]
                let what = if conn.proxy.as_ref().is_some_and(|p| p.header.is_none()) {
                    late_header
                } else {
                    Error::Tls("the TLS handshake did not finish in time".into())
                };
                #[cfg(not(feature = "tls"))]
                let what = late_header;
                shared.report(conn.peer, &what);
                pending.doom(conn, key);
            } else {
                next = Some(next.map_or(deadline, |at| at.min(deadline)));
            }
        }
        self.setup_scan_at = next.map(|at| at.max(now + SETUP_SCAN_INTERVAL));
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
}
