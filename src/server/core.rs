//! [`Core`]: what every server has, whatever its mode: the bound socket, the poller its
//! loop sleeps on (the socket and the wake-up descriptor, under fixed tokens), the
//! shutdown state, and what requests see of the server.
//!
//! The blocking modes and the event loop both serve through it, so "already serving",
//! waking and stopping are written once.

use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use mio::unix::SourceFd;
use mio::{Interest, Poll, Token};

use super::accept::LastAccepts;
use super::kind::Kind;
use super::shutdown::{ServingGuard, ShutdownState};
use super::signal::{self, SignalRegistration};
use super::{ServerInfo, ShutdownHandle};
use crate::{Error, Result};

/// The token of the wake-up descriptor in every server's poller.
pub(crate) const WAKE: Token = Token(0);
/// The token of the server's own socket.
pub(crate) const LISTENER: Token = Token(1);

/// The socket, the poller and the shutdown state of one server.
#[derive(Debug)]
pub(crate) struct Core<K> {
    pub(crate) socket: K,
    /// Whether the server made the socket itself (bound it), rather than being given one
    /// that other processes may share: only then may a graceful stop change the socket
    /// itself (see `last_accepts`).
    pub(crate) own_socket: bool,
    /// Locked while serving: a second caller gets `AlreadyServing`.
    poll: Mutex<Poll>,
    pub(crate) shutdown: Arc<ShutdownState>,
    pub(crate) info: Arc<ServerInfo>,
    /// SIGINT and SIGTERM reach this server while it is registered.
    _signals: Option<SignalRegistration>,
}

/// One serving period: the poller, held, and the mark that a loop is serving.
pub(crate) struct Serving<'a> {
    /// Dropped first, so that a thread released by `shutdown` can serve again at once.
    pub(crate) poll: MutexGuard<'a, Poll>,
    _guard: ServingGuard<'a>,
}

impl<K: Kind> Core<K> {
    pub(crate) fn new(socket: K, own_socket: bool, stop_on_signals: bool) -> Result<Self> {
        let shutdown = Arc::new(ShutdownState::new()?);
        let poll = Poll::new()?;
        let registry = poll.registry();
        let wake_fd = shutdown.wake_fd().poll_fd();
        registry.register(&mut SourceFd(&wake_fd), WAKE, Interest::READABLE)?;
        registry.register(
            &mut SourceFd(&socket.raw_fd()),
            LISTENER,
            Interest::READABLE,
        )?;
        let signals = if stop_on_signals {
            Some(signal::stop_on_signals(&shutdown)?)
        } else {
            None
        };
        let info = Arc::new(ServerInfo {
            server_address: socket.address()?,
            shutdown: ShutdownHandle::new(Arc::clone(&shutdown)),
        });
        Ok(Core {
            socket,
            own_socket,
            poll: Mutex::new(poll),
            shutdown,
            info,
            _signals: signals,
        })
    }

    /// The poller, for one call that serves (`handle_request`).
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Poll>> {
        // A panic while polling leaves nothing half-done in the Poll itself.
        lock_for_serving(&self.poll)
    }

    /// Starts a serving period (`serve_forever`). `Ok(None)` when a shutdown was
    /// requested before it started: the loop ends at once.
    pub(crate) fn serve(&self) -> Result<Option<Serving<'_>>> {
        let poll = self.lock()?;
        Ok(self.shutdown.enter().map(|guard| Serving {
            poll,
            _guard: guard,
        }))
    }

    pub(crate) fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle::new(Arc::clone(&self.shutdown))
    }

    /// The socket, for a graceful stop's last accepts.
    pub(crate) fn last_accepts(&self) -> LastAccepts {
        LastAccepts {
            fd: self.socket.raw_fd(),
            own: self.own_socket,
        }
    }

    /// Takes the socket out of the poller (no more requests are polled for) and returns
    /// both, for a mode that still serves the connections it has while it stops; the
    /// socket closes when the caller drops it. Signals no longer reach the server.
    pub(crate) fn into_poll(self) -> (Poll, K) {
        let poll = self
            .poll
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Removed from the poller first: when other processes share the socket, closing
        // this descriptor does not close the socket.
        let fd = self.socket.raw_fd();
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        (poll, self.socket)
    }

    /// The server socket's descriptor (a forked child closes its copy of a listener).
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.socket.raw_fd()
    }
}

/// Locks what one serving thread holds while it serves: `AlreadyServing` when another
/// thread holds it. A lock poisoned by a panic is taken anyway: callers lock only state
/// that a panic leaves consistent (handler panics are caught inside).
pub(crate) fn lock_for_serving<T>(lock: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    match lock.try_lock() {
        Ok(guard) => Ok(guard),
        Err(TryLockError::WouldBlock) => Err(Error::AlreadyServing),
        Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
    }
}
