//! [`EventLoopTcpServer`]: the lifecycle of a server in the event-loop mode (`serve_forever`,
//! a graceful stop that drains the write queues, close on drop) around the loop in
//! `event_loop.rs`.

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Instant;

use mio::Poll;

use super::event_loop::Loop;
use super::loops;
use super::mode::{EventLoop, State};
use super::stats::EventLoopStats;
use super::EventHandler;
use crate::server::{lock_for_serving, Kind, Run, Server, Tcp, STOP_GRACE};
use crate::Result;

/// A TCP server that serves every connection from one thread, driven by readiness
/// events (the select lectures' server, on epoll or kqueue through mio).
///
/// Each connection gets a handler value from the factory; its [`EventHandler`] callbacks
/// run on the thread that calls [`serve_forever`](Server::serve_forever) and queue output
/// with [`Context::send`](super::Context::send), which never blocks. See the
/// [module documentation](super) for the model and a worked example.
///
/// After [`ShutdownHandle::shutdown`](crate::ShutdownHandle::shutdown) the connections stay open and another
/// `serve_forever` resumes them. Dropping the server closes the listening socket and
/// every connection (each handler's `on_close` runs); `close_gracefully` first lets each
/// connection finish what it was sent and write what it queued.
///
/// ```
/// use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
/// use std::io::{BufRead, BufReader, Write};
///
/// struct Shout;
/// impl EventHandler for Shout {
///     fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> std::io::Result<()> {
///         ctx.send(&line.to_ascii_uppercase());
///         Ok(())
///     }
/// }
///
/// let server = EventLoopTcpServer::bind("127.0.0.1:0", || Shout)?;
/// let addr = server.local_addr()?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.run());
///
/// let mut client = std::net::TcpStream::connect(addr)?;
/// client.write_all(b"hello\n")?;
/// let mut reply = String::new();
/// BufReader::new(&client).read_line(&mut reply)?;
/// assert_eq!(reply, "HELLO\n");
///
/// handle.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
pub type EventLoopTcpServer<H> = Server<Tcp, EventLoop<H>, H>;

impl<H: EventHandler> Server<Tcp, EventLoop<H>, H> {
    /// How many connections are open, what is queued, and the longest queue so far.
    /// Cheap, and callable from any thread while the server serves.
    pub fn stats(&self) -> EventLoopStats {
        self.mode().counters.snapshot()
    }

    /// The backend doing the loop's I/O: the one asked for
    /// ([`backend`](crate::ServerBuilder::backend)) until the first `serve_forever`
    /// starts, then the one that serves (epoll where io_uring was refused).
    pub fn backend(&self) -> super::Backend {
        self.mode()
            .counters
            .backend()
            .unwrap_or(self.mode().config.backend)
    }

    /// The loops' state, locked; `AlreadyServing` while another thread serves.
    fn state(&self) -> Result<MutexGuard<'_, State<H>>> {
        // Handler panics are caught inside; a poisoned lock means a bug of the loop
        // itself, whose table is still consistent between turns.
        lock_for_serving(&self.mode().state)
    }
}

/// The event loop's `serve_forever` and stops.
impl<H: EventHandler> Run<Tcp, H> for EventLoop<H> {
    fn serve_forever(server: &Server<Tcp, Self, H>) -> Result<()> {
        let (core, shared, _, mode) = server.parts();
        let mut state = server.state()?;
        let Some(mut serving) = core.serve()? else {
            return Ok(());
        };
        let make_loop = |poll: &Poll| -> Result<Loop<H>> {
            Ok(Loop::new(
                poll.registry().try_clone()?,
                Arc::clone(shared),
                mode.config.per_loop(),
                Arc::clone(&mode.counters),
                core.shutdown_handle(),
            ))
        };
        let State {
            first,
            others,
            listeners,
        } = &mut *state;
        let first = match first {
            Some(event_loop) => event_loop,
            None => first.insert(make_loop(&serving.poll)?),
        };
        let handle = core.shutdown_handle();
        let listener = core.socket.raw_fd();
        if mode.config.loops > 1 && others.is_empty() {
            *others = loops::start_workers(mode.config.loops - 1, listener, listeners, make_loop)?;
        }
        if others.is_empty() {
            return first.run(&mut serving.poll, listener, &handle);
        }
        loops::serve_all(first, &mut serving.poll, listener, &handle, others)
    }

    /// With several loops: binds the other loops' listeners.
    fn bound(&mut self, socket: &Tcp) -> Result<()> {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        state.listeners = loops::siblings(socket, self.config.loops - 1)?;
        Ok(())
    }

    /// The event loop's connections are not handled by blocking reads: this ends
    /// nothing and returns 0; `close_gracefully` is how they end.
    fn close_connections(_: &Server<Tcp, Self, H>) -> usize {
        0
    }

    fn open_connections(server: &Server<Tcp, Self, H>) -> usize {
        server.stats().open_connections
    }

    /// Takes the connections the listening socket has queued (see `LastAccepts`) and
    /// closes it, shuts down the read half of every connection (what a client already
    /// sent is still read and handled, then its handler sees end-of-file), writes what is
    /// queued, and closes each connection once it is finished; past the drain timeout
    /// the rest are closed.
    fn close_gracefully(server: Server<Tcp, Self, H>) -> usize {
        let drain_timeout = server.parts().2.drain_timeout;
        let (core, mode) = server.into_core_and_mode();
        let start = Instant::now();
        let mut state = mode.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State { first, others, .. } = &mut *state;
        let primary = core.last_accepts();
        // The socket stays open until the loops have taken their last connections.
        let (mut poll, socket) = core.into_poll();
        let (grace, deadline) = (start + STOP_GRACE, start + drain_timeout);
        if others.is_empty() {
            return match first.as_mut() {
                Some(event_loop) => {
                    let listener = Some((primary, move || drop(socket)));
                    event_loop.drain(&mut poll, listener, grace, deadline)
                }
                None => 0,
            };
        }
        let listener = (primary, socket);
        loops::drain_all(first.as_mut(), &mut poll, listener, others, grace, deadline)
    }
}

impl<H: EventHandler> Drop for EventLoop<H> {
    /// Closing: every connection closes and each handler's `on_close` runs.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(event_loop) = state.first.as_mut() {
            event_loop.close_all();
        }
        for worker in &mut state.others {
            worker.close_all();
        }
    }
}
