//! [`EventLoopTcpServer`]: the public server type, its lifecycle (`bind`,
//! `serve_forever`, `shutdown_handle`, close on drop) around the loop in `event_loop.rs`.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::{fmt, io};

use super::builder::EventLoopBuilder;
use super::event_loop::{EventLoop, Factory};
use super::stats::{Counters, EventLoopStats};
use super::table::{Shared, Table};
use super::EventHandler;
use crate::server::{new_poll, ShutdownState};
use crate::{Error, Result, Serve, ShutdownHandle};

/// A TCP server that serves every connection from one thread, driven by readiness
/// events (the select lectures' server, on epoll or kqueue through mio).
///
/// Each connection gets a handler value from the factory; its
/// [`EventHandler`] callbacks run on the thread that calls
/// [`serve_forever`](Self::serve_forever) and queue output with
/// [`Context::send`](super::Context::send), which never blocks. See the
/// [module documentation](super) for the model and a worked example.
///
/// Dropping the server closes the listening socket and every connection (each handler's
/// `on_close` runs). After [`ShutdownHandle::shutdown`] the connections stay open and
/// another `serve_forever` resumes them.
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
/// let serving = std::thread::spawn(move || server.serve_forever());
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
pub struct EventLoopTcpServer<H: EventHandler> {
    /// Locked for the whole of `serve_forever`; a second caller gets `AlreadyServing`.
    event_loop: Mutex<EventLoop<H>>,
    shutdown: Arc<ShutdownState>,
    counters: Arc<Counters>,
    local_addr: SocketAddr,
}

impl<H: EventHandler> EventLoopTcpServer<H> {
    /// Starts configuring a server: limits, timeouts, hooks.
    pub fn builder() -> EventLoopBuilder<H> {
        EventLoopBuilder::new()
    }

    /// Binds to `addr` (IPv4 or IPv6; port 0 picks a free port) with the default options.
    /// `factory` makes one handler per connection.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder().bind(addr, factory)
    }

    pub(crate) fn new(
        listener: TcpListener,
        factory: Factory<H>,
        builder: EventLoopBuilder<H>,
    ) -> Result<Self> {
        let local_addr = listener.local_addr()?;
        let (poll, shutdown) = new_poll()?;
        let counters = Arc::new(Counters::default());
        let table = Table::new(Shared {
            limits: builder.config.limits(),
            counters: Arc::clone(&counters),
            shutdown: ShutdownHandle::new(Arc::clone(&shutdown)),
            handle_error: builder.handle_error,
            verify_request: builder.verify_request,
        });
        let listener = mio::net::TcpListener::from_std(listener);
        let event_loop = EventLoop::new(poll, listener, table, factory, builder.config)?;
        Ok(EventLoopTcpServer {
            event_loop: Mutex::new(event_loop),
            shutdown,
            counters,
            local_addr,
        })
    }

    /// The address the server is bound to: after binding port 0, the port it got.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }

    /// A handle that stops [`serve_forever`](Self::serve_forever) from any thread (or
    /// from a callback, through [`Context::shutdown_handle`](super::Context::shutdown_handle)).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle::new(Arc::clone(&self.shutdown))
    }

    /// Serves every connection on this thread until a [`ShutdownHandle`] stops it.
    ///
    /// The thread sleeps in the kernel until a socket is ready or a timer is due; a
    /// shutdown wakes it at once. Errors of one connection go to `handle_error` and close
    /// that connection only; this returns an error only when the listening socket or the
    /// poller fails, or with [`Error::AlreadyServing`] when another thread is serving.
    /// Out of file descriptors, it pauses accepting and retries with a growing backoff.
    pub fn serve_forever(&self) -> Result<()> {
        let mut event_loop = match self.event_loop.try_lock() {
            Ok(event_loop) => event_loop,
            Err(TryLockError::WouldBlock) => return Err(Error::AlreadyServing),
            // Handler panics are caught inside; a poisoned lock means a bug of the loop
            // itself, whose table is still consistent between turns.
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        };
        let Some(_serving) = self.shutdown.enter() else {
            return Ok(());
        };
        event_loop.run(&self.shutdown)
    }

    /// How many connections are open, what is queued, and the longest queue so far.
    /// Cheap, and callable from any thread while the server serves.
    pub fn stats(&self) -> EventLoopStats {
        self.counters.snapshot()
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> usize {
        self.stats().open_connections
    }

    /// Closes the listening socket and every connection; the same as dropping the server.
    pub fn server_close(self) {}
}

impl<H: EventHandler> Serve for EventLoopTcpServer<H> {
    fn serve_forever(&self) -> Result<()> {
        EventLoopTcpServer::serve_forever(self)
    }

    fn shutdown_handle(&self) -> ShutdownHandle {
        EventLoopTcpServer::shutdown_handle(self)
    }

    fn server_close(self) {
        EventLoopTcpServer::server_close(self)
    }
}

impl<H: EventHandler> Drop for EventLoopTcpServer<H> {
    fn drop(&mut self) {
        let event_loop = self
            .event_loop
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        event_loop.close_all();
    }
}

impl<H: EventHandler> fmt::Debug for EventLoopTcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoopTcpServer")
            .field("local_addr", &self.local_addr)
            .field("stats", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}
