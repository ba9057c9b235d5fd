//! The loop's reads and writes on its connections with readiness (epoll): read into the
//! one shared buffer and hand each read to the handler, write a connection's queue as far
//! as the socket takes it.

use std::io::{self, Read};

use super::event_loop::{invoke, Loop, READS_PER_TURN};
use super::EventHandler;
use crate::Error;

impl<H: EventHandler> Loop<H> {
    /// Reads what `key` has, up to the per-turn budget, handing each read to the handler.
    pub(super) fn read(&mut self, key: usize) {
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
            let buf = &mut self.read_buf[..room];
            let result = match self.uring.as_mut() {
                Some(uring) => uring.recv(key, buf),
                None => conn.socket.read(buf),
            };
            match result {
                Ok(0) => {
                    conn.flags.read_closed = true;
                    conn.flags.wants_read = false;
                    if !conn.is_established() {
                        log::debug!(
                            "{} left before its PROXY header or TLS handshake",
                            conn.peer
                        );
                        self.table.doom(key);
                        return;
                    }
                    self.call(key, |handler, ctx| handler.on_eof(ctx));
                    self.flush(key);
                    return;
                }
                Ok(n) => {
                    conn.last_active = self.table.now;
                    conn.flags.received = true;
                    // A short read emptied the socket: epoll and kqueue report data that
                    // arrives after it as a new edge (tokio relies on the same), so the
                    // read that would return `WouldBlock` can be saved. Not so for an
                    // end-of-file already reported: it is read next, with no new edge.
                    if n < room && !conn.flags.hup {
                        conn.flags.wants_read = false;
                    }
                    let mut start = 0;
                    if conn.proxy.as_ref().is_some_and(|p| p.header.is_none()) {
                        match self.receive_preamble(key, n) {
                            Some(offset) => start = offset,
                            None => {
                                self.flush(key);
                                continue;
                            }
                        }
                    }
                    self.deliver(key, start, n);
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

    /// Hands bytes `start..n` of the read buffer to `key`: through its TLS session, or to
    /// `on_data`.
    fn deliver(&mut self, key: usize, start: usize, n: usize) {
        let Some(conn) = self.table.conns.get(key) else {
            return;
        };
        if start == n || conn.flags.dead || conn.flags.closing {
            return;
        }
        #[cfg(feature = "tls")]
        if conn.tls.is_some() {
            self.receive_tls(key, start, n);
            return;
        }
        let Loop {
            table,
            handlers,
            read_buf,
            ..
        } = self;
        if let Some(handler) = handlers[key].as_mut() {
            invoke(table, key, handler, |h, ctx| {
                h.on_data(ctx, &read_buf[start..n])
            });
        }
    }

    /// Writes `key`'s queue as far as the socket takes it; resumes reading below half the
    /// output limit; calls `on_drained` when the queue empties; closes a finished
    /// connection.
    pub(super) fn flush(&mut self, key: usize) {
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
                let result = match self.uring.as_mut() {
                    Some(uring) => conn.out.write_to(&mut uring.sender(key)),
                    None => conn.out.write_to(&mut conn.socket),
                };
                conn.out.recycle(&mut self.table.pending.spares);
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
            // On io_uring the queue is empty once the kernel has the bytes: the
            // connection is finished when its send completes (which flushes it again),
            // or closing it would cut the reply short.
            let in_kernel = self.uring.as_ref().is_some_and(|u| u.is_sending(key));
            if conn.is_finished() && !in_kernel {
                // TLS says the stream ends (close_notify) before the socket does.
                #[cfg(feature = "tls")]
                if let Some(tls) = conn.tls.as_mut() {
                    let before = conn.out.len();
                    if tls.close(&mut conn.out) {
                        // Nothing may follow it.
                        conn.flags.closing = true;
                        let after = conn.out.len();
                        self.table.shared.counters.queued(after - before, after);
                        continue;
                    }
                }
                self.table.doom(key);
            }
            return;
        }
    }
}
