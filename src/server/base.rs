//! [`BaseServer`]: Python's `BaseServer`, the lifecycle every server shares.
//!
//! One generic struct holds the socket (a [`SocketKind`]: TCP, UDP, Unix stream or Unix
//! datagram), the handler factory and the serving loop. `TcpServer<H>` and its siblings
//! are aliases of it; the wrappers in [`crate::mixin`] change how each request is
//! processed, exactly as Python's mixins override `process_request`.

use std::io;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::accept::{classify, AcceptError, Backoff};
use super::hooks::Hooks;
use super::kind::{Incoming, SocketKind};
use super::shutdown::{new_poll, ShutdownState};
use super::{Serve, ServerBuilder, ServerInfo, ShutdownHandle};
use crate::handler::{panic_message, run_handler, RequestHandler};
use crate::mixin::ProcessRequest;
use crate::{Address, Error, Result};

pub(crate) const WAKE: Token = Token(0);
const LISTENER: Token = Token(1);

/// Everything a request needs once it leaves the serving loop: what makes handlers, the
/// hooks, and what requests see of the server. Shared with the threads that run requests.
pub(crate) struct Shared<H> {
    factory: Box<dyn Fn() -> H + Send + Sync>,
    pub(crate) hooks: Hooks,
    pub(crate) context: super::kind::RequestContext,
}

/// An accepted request, ready to run on any thread or in a forked child.
pub struct Request<K: SocketKind, H> {
    incoming: K::Incoming,
    shared: Arc<Shared<H>>,
}

impl<K: SocketKind, H: RequestHandler<K::Request>> Request<K, H> {
    /// Who sent the request.
    pub fn client_address(&self) -> &Address {
        self.incoming.client_address()
    }

    /// Runs the handler (Python's `finish_request`, then `shutdown_request`). Every error
    /// and panic goes to `handle_error`; nothing escapes.
    pub(crate) fn run(self) {
        let Request { incoming, shared } = self;
        let address = incoming.client_address().clone();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut report = |err: Error| shared.hooks.handle_error(&address, &err);
            match incoming.into_request(&shared.context) {
                Ok(mut request) => {
                    run_handler(&shared.factory, &mut request, &mut report);
                    <K::Incoming as Incoming>::end(request, &shared.context, &mut report);
                }
                Err(err) => report(err),
            }
        }));
        if let Err(payload) = outcome {
            log::error!(
                "handle_error panicked while reporting on {address}: {}",
                panic_message(payload.as_ref())
            );
        }
    }

    /// Closes the request without running the handler (Python's `shutdown_request` for a
    /// request `verify_request` refused, or one that could not be dispatched).
    pub(crate) fn refuse(self) {
        self.incoming.refuse();
    }

    /// The connection's descriptor (stream requests), for a forked child to end its
    /// reads when the server closes connections.
    #[cfg(unix)]
    pub(crate) fn connection_fd(&self) -> Option<std::os::fd::RawFd> {
        self.incoming.connection_fd()
    }
}

impl<K: SocketKind, H> std::fmt::Debug for Request<K, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("client_address", self.incoming.client_address())
            .finish_non_exhaustive()
    }
}

/// A server: a bound socket, a handler factory and the serving loop (Python's
/// `BaseServer` with `TCPServer`, `UDPServer` and the Unix servers as its socket kinds).
///
/// Use it through its aliases: [`TcpServer`](crate::TcpServer),
/// [`UdpServer`](crate::UdpServer), [`UnixStreamServer`](crate::UnixStreamServer) and
/// [`UnixDatagramServer`](crate::UnixDatagramServer). Alone it serves one request at a
/// time on the thread that calls [`serve_forever`](Self::serve_forever); wrap it in
/// [`Threading`](crate::Threading) (or the other wrappers in [`crate::mixin`]) to serve
/// many at once.
///
/// Dropping the server closes its socket (Python's `server_close`).
pub struct BaseServer<K: SocketKind, H> {
    socket: K,
    shared: Arc<Shared<H>>,
    poll: Mutex<Poll>,
    shutdown: Arc<ShutdownState>,
    timeout: Option<Duration>,
    poll_interval: Duration,
}

impl<K: SocketKind, H: RequestHandler<K::Request>> BaseServer<K, H> {
    /// Starts configuring a server before its socket is bound (Python's
    /// `bind_and_activate=False`).
    pub fn builder() -> ServerBuilder<K, H> {
        ServerBuilder::new()
    }

    pub(crate) fn new<F>(socket: K, factory: F, builder: ServerBuilder<K, H>) -> Result<Self>
    where
        F: Fn() -> H + Send + Sync + 'static,
    {
        let (poll, shutdown) = new_poll()?;
        poll.registry().register(
            &mut SourceFd(&socket.raw_fd()),
            LISTENER,
            Interest::READABLE,
        )?;
        let info = Arc::new(ServerInfo {
            server_address: socket.address()?,
            shutdown: ShutdownHandle::new(Arc::clone(&shutdown)),
        });
        let context = super::kind::RequestContext::new(info, builder.stream.clone());
        Ok(BaseServer {
            socket,
            shared: Arc::new(Shared {
                factory: Box::new(factory),
                hooks: builder.hooks,
                context,
            }),
            poll: Mutex::new(poll),
            shutdown,
            timeout: builder.timeout,
            poll_interval: builder.poll_interval,
        })
    }

    /// The address the server is bound to (Python's `server_address`): after binding port
    /// 0, the port the system picked.
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        self.socket.local_addr()
    }

    /// A handle that stops [`serve_forever`](Self::serve_forever) from any thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle::new(Arc::clone(&self.shutdown))
    }

    /// What requests see of this server: its address and a shutdown handle.
    pub fn info(&self) -> &ServerInfo {
        &self.shared.context.server
    }

    /// Handles requests until a [`ShutdownHandle`] stops it, one at a time on this thread.
    ///
    /// Each turn of the loop also runs `service_actions`. The loop sleeps in the kernel
    /// between requests; a shutdown wakes it at once. It returns an error only when the
    /// socket itself fails (not for a client's error, which goes to `handle_error`). When
    /// descriptors run out (EMFILE), it backs off and resumes when some are freed.
    pub fn serve_forever(&self) -> Result<()> {
        self.serve_forever_with(&Iterative)
    }

    /// Waits for one request and handles it (Python's `handle_request`).
    ///
    /// Waits at most the server's `timeout` (forever when it has none); when it passes,
    /// calls `handle_timeout` and returns `Ok(false)`. Returns `Ok(true)` once a request
    /// was handled (or refused by `verify_request`), and `Ok(false)` when a shutdown was
    /// requested meanwhile.
    pub fn handle_request(&self) -> Result<bool> {
        self.handle_request_with(&Iterative)
    }

    /// Ends the requests of idle clients: shuts down the read half of every open
    /// connection, so a handler blocked reading sees end-of-file and returns, while a
    /// reply being written still goes out. Returns how many connections were open.
    ///
    /// Call it after [`ShutdownHandle::shutdown`] for a graceful stop that does not wait on
    /// clients that stay connected. Requests accepted before the call that start being
    /// served after it (waiting for a pool worker, say) have their reads ended as they
    /// start, until the server serves again. Datagram servers have no connections: it
    /// returns 0.
    pub fn close_connections(&self) -> usize {
        self.shared.context.connections.end_reads()
    }

    /// How many connections are being served now (stream servers).
    pub fn open_connections(&self) -> usize {
        self.shared.context.connections.len()
    }

    /// Closes the socket (Python's `server_close`); the same as dropping the server.
    pub fn server_close(self) {}

    /// The server socket's descriptor, for a wrapper that acts on it (a forked child
    /// closes its copy of a listening socket).
    pub(crate) fn raw_fd(&self) -> std::os::fd::RawFd {
        self.socket.raw_fd()
    }

    pub(crate) fn serve_forever_with(&self, mode: &impl ProcessRequest<K, H>) -> Result<()> {
        let mut poll = self.lock_poll()?;
        let Some(_serving) = self.shutdown.enter() else {
            return Ok(());
        };
        self.shared.context.connections.reopen();
        let mut events = Events::with_capacity(4);
        let mut backoff = Backoff::default();
        while !self.shutdown.is_requested() {
            let deadline = Some(Instant::now() + self.poll_interval);
            let next = self.next_request(&mut poll, &mut events, &mut backoff, mode, deadline)?;
            if let Some(request) = next {
                self.process(request, mode);
            }
            mode.service_actions();
            self.shared.hooks.service_actions();
        }
        Ok(())
    }

    pub(crate) fn handle_request_with(&self, mode: &impl ProcessRequest<K, H>) -> Result<bool> {
        let mut poll = self.lock_poll()?;
        self.shared.context.connections.reopen();
        let mut events = Events::with_capacity(4);
        let deadline = self.timeout.map(|t| Instant::now() + t);
        let mut backoff = Backoff::default();
        match self.next_request(&mut poll, &mut events, &mut backoff, mode, deadline)? {
            Some(request) => {
                self.process(request, mode);
                Ok(true)
            }
            None => {
                if !self.shutdown.is_requested() {
                    mode.handle_timeout();
                    self.shared.hooks.handle_timeout();
                }
                Ok(false)
            }
        }
    }

    fn lock_poll(&self) -> Result<MutexGuard<'_, Poll>> {
        match self.poll.try_lock() {
            Ok(poll) => Ok(poll),
            Err(TryLockError::WouldBlock) => Err(Error::AlreadyServing),
            // A panic while polling leaves nothing half-done in the Poll itself.
            Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        }
    }

    /// Python's `verify_request` + `process_request`.
    fn process(&self, incoming: K::Incoming, mode: &impl ProcessRequest<K, H>) {
        let request = Request {
            incoming,
            shared: Arc::clone(&self.shared),
        };
        if self.shared.hooks.verify_request(request.client_address()) {
            mode.process_request(request);
        } else {
            log::debug!("verify_request refused {}", request.client_address());
            request.refuse();
        }
    }

    /// Waits until the mode can take a request and one arrives, or until `deadline` or a
    /// shutdown request (then `None`).
    ///
    /// The socket is registered edge-triggered, so it is always read until `WouldBlock`
    /// before waiting: a request left queued by an earlier call is never missed.
    fn next_request(
        &self,
        poll: &mut Poll,
        events: &mut Events,
        backoff: &mut Backoff,
        mode: &impl ProcessRequest<K, H>,
        deadline: Option<Instant>,
    ) -> Result<Option<K::Incoming>> {
        loop {
            if self.shutdown.is_requested() {
                return Ok(None);
            }
            let mut wait_until = deadline;
            if mode.has_capacity() {
                match self.socket.accept() {
                    Ok(incoming) => {
                        backoff.resumed();
                        return Ok(Some(incoming));
                    }
                    Err(err) => match classify(&err) {
                        AcceptError::WouldBlock => {}
                        AcceptError::Transient => continue,
                        AcceptError::OutOfResources => {
                            let pause = backoff.pause(&err);
                            wait_until = Some(deadline.map_or(pause, |d| d.min(pause)));
                        }
                        AcceptError::Fatal => return Err(err.into()),
                    },
                }
            }
            let timeout = match wait_until {
                Some(at) => match at.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ if wait_until == deadline => return Ok(None),
                    _ => continue, // the backoff pause is over: try again
                },
                None => None,
            };
            if let Err(err) = poll.poll(events, timeout) {
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err.into());
                }
            }
        }
    }
}

impl<K: SocketKind, H: RequestHandler<K::Request>> Serve for BaseServer<K, H> {
    fn serve_forever(&self) -> Result<()> {
        BaseServer::serve_forever(self)
    }

    fn shutdown_handle(&self) -> ShutdownHandle {
        BaseServer::shutdown_handle(self)
    }

    fn server_close(self) {
        BaseServer::server_close(self)
    }
}

/// Python's plain `process_request`: run the request on the serving thread.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Iterative;

impl<K: SocketKind, H: RequestHandler<K::Request>> ProcessRequest<K, H> for Iterative {
    fn process_request(&self, request: Request<K, H>) {
        request.run();
    }
}

impl<K: SocketKind, H> std::fmt::Debug for BaseServer<K, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseServer")
            .field("server_address", &self.shared.context.server.server_address)
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

/// Marker so `ServerBuilder<K, H>` can name its kind and handler without owning them.
pub(crate) type KindMarker<K> = PhantomData<fn() -> K>;
