//! Several event loops in one process ([`loops`](crate::ServerBuilder::loops)): the first
//! loop runs on the thread that calls `serve_forever`, each other loop on a thread of its
//! own with its own poller, table and listening socket; one shutdown stops them all.
//!
//! # How connections reach the loops: one `SO_REUSEPORT` listener per loop
//!
//! Each loop after the first has a listening socket of its own, bound to the server's
//! address with `SO_REUSEPORT` when the server is (so clients that connect before
//! `serve_forever` starts are spread too), and the kernel hashes every new connection to one socket of the
//! group. The alternative, one shared listener registered in every loop's epoll with
//! `EPOLLEXCLUSIVE`, wakes the *first idle* waiter, so at low concurrency one loop takes
//! nearly everything. Measured on Linux 6.x, 1000 short loopback connections (connect,
//! read one byte, close), counted per loop (`/tmp/m16/spread.py`, the same accept loops in
//! Python over `select.epoll`; the machine was loaded, so the counts are noisy but the
//! pattern is not):
//!
//! | clients at once | 2 loops, `SO_REUSEPORT` | 2 loops, `EPOLLEXCLUSIVE` | 4 loops, `SO_REUSEPORT` | 4 loops, `EPOLLEXCLUSIVE` |
//! | --- | --- | --- | --- | --- |
//! | 1 | 468 / 532 | 992 / 8 | 248 / 268 / 263 / 221 | 968 / 32 / 0 / 0 |
//! | 8 | 491 / 509 | 496 / 504 | 238 / 264 / 242 / 256 | 244 / 252 / 249 / 255 |
//!
//! The same count through this crate's loops is the test
//! `tests/event_loop_runs_several_loops.rs` (every loop serves a share of 1000
//! connections). So the loops get `SO_REUSEPORT` listeners, and
//! [`loops`](crate::ServerBuilder::loops) sets `SO_REUSEPORT` on the server's own socket
//! too (the group needs it on every member).
//!
//! A socket the server did not bind (socket activation, `from_socket`) without
//! `SO_REUSEPORT`, or a builder that turned it off again, cannot get siblings: then every
//! loop registers the one listening socket (each is woken by a new connection, one of
//! them accepts it, the others find nothing), and the server logs that once.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Interest, Poll, Waker};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::event_loop::{Loop, Stop};
use super::EventHandler;
use crate::handler::panic_message;
use crate::server::{Kind, LastAccepts, Tcp, LISTENER, WAKE};
use crate::{Error, Result, ShutdownHandle};

/// A loop after the first: its poller, the waker that ends its serving period, its
/// listening socket, and the loop.
pub(crate) struct Worker<H: EventHandler> {
    poll: Poll,
    waker: Arc<Waker>,
    /// Its own `SO_REUSEPORT` listener; `None` when it shares the server's socket.
    listener: Option<TcpListener>,
    /// Whether a listening socket is still registered in `poll` (not after a graceful
    /// stop closed them).
    listening: bool,
    event_loop: Loop<H>,
}

/// The listeners of the loops after the first, `count` of them, bound when the server
/// is: each a `SO_REUSEPORT` sibling of `primary`. Empty (the loops will share `primary`,
/// logged) when `primary` cannot have siblings.
pub(crate) fn siblings(primary: &Tcp, count: usize) -> Result<Vec<TcpListener>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count {
        match sibling(primary) {
            Ok(listener) => listeners.push(listener),
            Err(why) => {
                log::info!("the event loops share one listening socket: {why}");
                return Ok(Vec::new());
            }
        }
    }
    Ok(listeners)
}

/// Makes the loops after the first: `count` of them, with the `listeners` bound for
/// them, or sharing the server's socket `primary` when there are none.
pub(crate) fn start_workers<H: EventHandler>(
    count: usize,
    primary: RawFd,
    listeners: &mut Vec<TcpListener>,
    make_loop: impl Fn(&Poll) -> Result<Loop<H>>,
) -> Result<Vec<Worker<H>>> {
    let mut workers = Vec::with_capacity(count);
    let mut listeners = std::mem::take(listeners).into_iter();
    for _ in 0..count {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
        let listener = listeners.next();
        let fd = listener.as_ref().map_or(primary, TcpListener::as_raw_fd);
        poll.registry()
            .register(&mut SourceFd(&fd), LISTENER, Interest::READABLE)?;
        let event_loop = make_loop(&poll)?;
        workers.push(Worker {
            poll,
            waker,
            listener,
            listening: true,
            event_loop,
        });
    }
    Ok(workers)
}

/// A listening socket bound to `primary`'s address with `SO_REUSEPORT`, in its group; or
/// why there cannot be one.
fn sibling(primary: &Tcp) -> std::result::Result<TcpListener, String> {
    let addr: SocketAddr = primary.local_addr().map_err(|err| err.to_string())?;
    let theirs = SockRef::from(primary.listener());
    if !theirs.reuse_port().unwrap_or(false) {
        return Err("the server's socket does not have SO_REUSEPORT".to_owned());
    }
    let make = || -> std::io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        if addr.is_ipv6() {
            socket.set_only_v6(theirs.only_v6()?)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(libc::SOMAXCONN)?;
        socket.set_nonblocking(true)?;
        Ok(socket.into())
    };
    make().map_err(|err| format!("cannot bind another socket to {addr}: {err}"))
}

/// What ends a worker's serving period: the flag the first loop sets as it ends, or a
/// shutdown request seen directly.
struct WorkerStop<'a> {
    stop: &'a AtomicBool,
    server: &'a ShutdownHandle,
}

impl Stop for WorkerStop<'_> {
    fn requested(&self) -> bool {
        self.stop.load(Ordering::Acquire) || self.server.is_shutdown_requested()
    }

    /// mio's waker needs no draining.
    fn woken(&self) {}
}

/// Serves on every loop until a shutdown: `first` on this thread with the server's poller
/// and socket, each worker on its own thread. A loop that fails stops the others; every
/// loop's error is logged, and the first is returned.
pub(crate) fn serve_all<H: EventHandler>(
    first: &mut Loop<H>,
    poll: &mut Poll,
    listener: RawFd,
    shutdown: &ShutdownHandle,
    workers: &mut [Worker<H>],
) -> Result<()> {
    let stop = AtomicBool::new(false);
    let wakers: Vec<Arc<Waker>> = workers.iter().map(|w| Arc::clone(&w.waker)).collect();
    let stop_workers = || {
        stop.store(true, Ordering::Release);
        for waker in &wakers {
            if let Err(err) = waker.wake() {
                log::error!("cannot wake an event loop to stop it: {err}");
            }
        }
    };
    let mut errors = Vec::new();
    thread::scope(|scope| {
        let mut running = Vec::with_capacity(workers.len());
        let mut spawn_failed = None;
        for (i, worker) in workers.iter_mut().enumerate() {
            let (stop, state) = (&stop, shutdown.state());
            let spawned = thread::Builder::new()
                .name(format!("event-loop-{}", i + 1))
                .spawn_scoped(scope, move || {
                    // `shutdown()` from a handler here must not wait for this thread.
                    let _helper = state.helper();
                    let stop = WorkerStop {
                        stop,
                        server: shutdown,
                    };
                    let fd = worker.listen_fd(listener);
                    let result = worker.event_loop.run(&mut worker.poll, fd, &stop);
                    if result.is_err() {
                        shutdown.request_shutdown(); // one loop failing stops them all
                    }
                    result
                });
            match spawned {
                Ok(handle) => running.push((i + 1, handle)),
                Err(err) => {
                    spawn_failed = Some(Error::Io(err));
                    break;
                }
            }
        }
        if let Some(err) = spawn_failed {
            errors.push((0, err));
        } else if let Err(err) = first.run(poll, listener, shutdown) {
            errors.push((0, err));
        }
        stop_workers();
        for (i, handle) in running {
            match handle.join() {
                Ok(Ok(())) => {}
                Ok(Err(err)) => errors.push((i, err)),
                Err(payload) => errors.push((
                    i,
                    Error::Io(std::io::Error::other(format!(
                        "event loop {i} panicked: {}",
                        panic_message(payload.as_ref())
                    ))),
                )),
            }
        }
    });
    let mut errors = errors.into_iter();
    let Some((_, first_err)) = errors.next() else {
        return Ok(());
    };
    for (i, err) in errors {
        log::error!("event loop {i} failed too: {err}");
    }
    Err(first_err)
}

impl<H: EventHandler> Worker<H> {
    /// The listening socket this loop accepts from.
    fn listen_fd(&self, primary: RawFd) -> RawFd {
        self.listener
            .as_ref()
            .map_or(primary, TcpListener::as_raw_fd)
    }

    /// Stops polling for connections, for a graceful stop: the listener is removed from
    /// this loop's poller and returned for the drain's last accepts (the loop's own
    /// listener closes after them; a shared one, the server's, when the server closes).
    fn stop_listening(&mut self, primary: LastAccepts) -> Option<LastAccepts> {
        if !self.listening {
            return None;
        }
        self.listening = false;
        let fd = self.listen_fd(primary.fd);
        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        Some(match self.listener {
            Some(_) => LastAccepts { fd, own: true },
            None => primary,
        })
    }

    /// Closes every connection of this loop (each handler's `on_close` runs).
    pub(crate) fn close_all(&mut self) {
        self.event_loop.close_all();
    }
}

/// A graceful stop's drain on every loop at once, each on its own thread (the first on
/// this one), with the same deadlines; `primary` is the server's socket, which closes
/// once every loop that accepts from it has taken its last connections. Returns how many
/// connections were still open at the deadline, in all loops.
pub(crate) fn drain_all<H: EventHandler>(
    first: Option<&mut Loop<H>>,
    poll: &mut Poll,
    (primary, socket): (LastAccepts, Tcp),
    workers: &mut [Worker<H>],
    grace: Instant,
    deadline: Instant,
) -> usize {
    thread::scope(|scope| {
        let mut running = Vec::with_capacity(workers.len());
        let mut left = 0;
        // A loop without a listener of its own takes from the server's socket too.
        let shared = workers.iter().any(|worker| worker.listener.is_none());
        let mut socket = Some(socket);
        for worker in workers.iter_mut() {
            let listener = worker.stop_listening(primary);
            let drain = move |worker: &mut Worker<H>| {
                let Worker {
                    event_loop,
                    poll,
                    listener: own,
                    ..
                } = worker;
                let listener = listener.map(|listener| (listener, || drop(own.take())));
                event_loop.drain(poll, listener, grace, deadline)
            };
            match thread::Builder::new()
                .name("event-loop-drain".to_owned())
                .spawn_scoped(scope, move || drain(worker))
            {
                Ok(handle) => running.push(handle),
                Err(err) => log::error!("cannot start a thread to drain an event loop: {err}"),
            }
        }
        if let Some(first) = first {
            let close = || {
                if !shared {
                    drop(socket.take());
                }
            };
            left += first.drain(poll, Some((primary, close)), grace, deadline);
        }
        for handle in running {
            match handle.join() {
                Ok(n) => left += n,
                Err(payload) => log::error!(
                    "an event loop panicked while draining: {}",
                    panic_message(payload.as_ref())
                ),
            }
        }
        left
    })
}
