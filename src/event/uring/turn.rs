//! The loop's turn on the ring: submit what the turn queued, wait for completions, hand
//! each to the connection it names (receives to the handler, sends as the writable
//! edge), and ask mio what is ready when its epoll descriptor fires.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use io_uring::cqueue;
use mio::{Events, Poll};

use super::super::event_loop::{Loop, Stop, EVENTS_PER_WAIT};
use super::super::EventHandler;
use super::op::{decode, user_data, Op};
use super::SEND_KEEP;
use crate::server::{LISTENER, WAKE};
use crate::Result;

impl<H: EventHandler> Loop<H> {
    /// `run` on the ring: the same turn as with epoll, with completions for events.
    pub(in crate::event) fn run_uring(
        &mut self,
        poll: &mut Poll,
        listener: RawFd,
        stop: &dyn Stop,
    ) -> Result<()> {
        let mut events = Events::with_capacity(EVENTS_PER_WAIT);
        self.uring_begin()?;
        let mut serve = || -> Result<()> {
            self.accept_all(listener)?;
            while !stop.requested() {
                let timeout = self.poll_timeout();
                self.uring_turn(poll, &mut events, timeout, Some(listener), Some(stop))?;
                self.end_turn(listener)?;
            }
            Ok(())
        };
        let served = serve();
        self.uring_end(poll, &mut events);
        served
    }

    /// The start of a serving period on the ring: this thread's ring is made (see the
    /// module docs), and every connection gets the edges it may have missed while no
    /// ring was up: queued output goes out, bytes received before are handed over.
    pub(in crate::event) fn uring_begin(&mut self) -> Result<()> {
        let Some(uring) = self.uring.as_mut() else {
            return Ok(());
        };
        if !uring.start()? {
            return Ok(());
        }
        let keys: Vec<usize> = self.table.conns.iter().map(|(key, _)| key).collect();
        for key in keys {
            let input = self.uring.as_ref().is_some_and(|u| u.has_input(key));
            if let Some(conn) = self.table.conns.get_mut(key) {
                conn.flags.can_write = true;
                conn.flags.wants_read |= input;
            }
            self.flush(key);
            if input {
                self.read(key);
            }
        }
        self.settle();
        Ok(())
    }

    /// The end of a serving period: every operation on the ring is cancelled, their
    /// completions handled (bytes received meanwhile kept for the next period), and the
    /// ring dropped.
    pub(in crate::event) fn uring_end(&mut self, poll: &mut Poll, events: &mut Events) {
        let Some(uring) = self.uring.as_mut() else {
            return;
        };
        uring.begin_stop();
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.uring.as_ref().is_some_and(|u| u.inflight > 0) && Instant::now() < deadline {
            if let Err(err) =
                self.uring_turn(poll, events, Some(Duration::from_millis(10)), None, None)
            {
                log::error!("io_uring while winding down: {err}");
                break;
            }
        }
        if let Some(uring) = self.uring.as_mut() {
            uring.stopped();
        }
    }

    /// A drain's turn (no accepting): see `turns_until`.
    pub(in crate::event) fn uring_drain_turn(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        until: Instant,
    ) {
        let timeout = if self.table.pending.ready.is_empty() {
            until.saturating_duration_since(Instant::now())
        } else {
            Duration::ZERO
        };
        if let Err(err) = self.uring_turn(poll, events, Some(timeout), None, None) {
            log::error!("io_uring while draining: {err}");
        }
    }

    /// One `io_uring_enter`, then every completion handled.
    fn uring_turn(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        timeout: Option<Duration>,
        listener: Option<RawFd>,
        stop: Option<&dyn Stop>,
    ) -> Result<()> {
        let Some(uring) = self.uring.as_mut() else {
            return Ok(());
        };
        uring.arm_mio(poll.as_raw_fd());
        uring.enter(timeout)?;
        uring.reap();
        let mut completions = std::mem::take(&mut uring.completions);
        self.table.now = Instant::now();
        self.table.turn += 1;
        for &(data, res, flags) in &completions {
            self.on_completion(poll, events, data, res, flags, listener, stop)?;
        }
        completions.clear();
        if let Some(uring) = self.uring.as_mut() {
            if uring.completions.is_empty() {
                uring.completions = completions;
            }
            // A receive can fail for want of a buffer just before buffers came back (its
            // completion read after the recycling that re-arms the starved): with buffers
            // in the ring again, arm those now, or they would wait for a next recycling
            // that may never come.
            if !uring.starved.is_empty() && uring.bufs.any() {
                for key in std::mem::take(&mut uring.starved) {
                    uring.arm(key);
                }
            }
        }
        self.run_ready();
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn on_completion(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        data: u64,
        res: i32,
        flags: u32,
        listener: Option<RawFd>,
        stop: Option<&dyn Stop>,
    ) -> Result<()> {
        let Some(uring) = self.uring.as_mut() else {
            return Ok(());
        };
        let (op, key, tag) = decode(data);
        match op {
            Op::Cancel => {
                uring.inflight -= 1;
                return Ok(());
            }
            Op::Mio => {
                if !cqueue::more(flags) {
                    uring.inflight -= 1;
                    uring.mio_armed = false;
                }
                if let Err(err) = poll.poll(events, Some(Duration::ZERO)) {
                    if err.kind() != io::ErrorKind::Interrupted {
                        return Err(err.into());
                    }
                }
                for event in events.iter() {
                    match event.token() {
                        WAKE => {
                            if let Some(stop) = stop {
                                stop.woken();
                            }
                        }
                        LISTENER => {
                            if let Some(listener) = listener {
                                self.accept_all(listener)?;
                            }
                        }
                        _ => {}
                    }
                }
                return Ok(());
            }
            Op::Recv | Op::Send => uring.inflight -= 1,
        }
        let bid = cqueue::buffer_select(flags);
        if op == Op::Recv {
            uring.armed -= 1;
            if bid.is_some() {
                uring.bufs.took();
            }
        }
        let live = uring
            .conns
            .get_mut(key)
            .and_then(Option::as_mut)
            .filter(|io| io.tag == tag);
        let Some(io) = live else {
            // A closed connection's operation: give back its buffer, bury it when done.
            if let Some(bid) = bid {
                uring.bufs.give(bid);
            }
            let grave = user_data(Op::Recv, key, tag);
            if let Some(g) = uring.graves.get_mut(&grave) {
                g.ops -= 1;
                if g.ops == 0 {
                    uring.graves.remove(&grave);
                }
            }
            return Ok(());
        };
        if op == Op::Recv {
            io.recv_armed = false;
            match (res, bid) {
                (n, Some(bid)) if n > 0 => {
                    io.inbox.push_back((bid, 0, n as usize));
                    uring.held += 1;
                }
                (n, bid) if n >= 0 => {
                    if let Some(bid) = bid {
                        uring.bufs.give(bid);
                    }
                    io.eof = true;
                }
                (err, _) if -err == libc::ENOBUFS => {
                    uring.starved.push(key);
                    return Ok(());
                }
                // ECANCELED: cancelled with its ring at the end of a serving period (the
                // next ring arms it again).
                (err, _) if [libc::EINTR, libc::EAGAIN, libc::ECANCELED].contains(&-err) => {
                    uring.arm(key);
                    return Ok(());
                }
                (err, _) => io.error = Some(io::Error::from_raw_os_error(-err)),
            }
            let Some(conn) = self.table.conns.get_mut(key) else {
                return Ok(());
            };
            conn.flags.wants_read = true;
            if res <= 0 {
                conn.flags.hup = true;
            }
            self.read(key);
            self.settle();
            return Ok(());
        }
        // A send completed.
        if res == -libc::ECANCELED || res == -libc::EINTR {
            // Cancelled with its ring (or interrupted): the rest goes out again, on the
            // next ring if this one is winding down.
            uring.send_rest(key);
            return Ok(());
        }
        if res < 0 {
            io.sending = false;
            io.error = Some(io::Error::from_raw_os_error(-res));
        } else {
            io.sent += res as usize;
            if res == 0 && io.sent < io.send.len() {
                io.sending = false;
                io.error = Some(io::ErrorKind::WriteZero.into());
            } else if io.sent < io.send.len() {
                // The rest of the buffer, still ours to lend.
                uring.send_rest(key);
                return Ok(());
            } else {
                io.sending = false;
                if io.send.capacity() > SEND_KEEP {
                    io.send = Vec::new();
                }
            }
        }
        if let Some(conn) = self.table.conns.get_mut(key) {
            conn.flags.can_write = true;
            self.flush(key);
            self.settle();
        }
        Ok(())
    }
}
