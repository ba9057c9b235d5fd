//! [`ShutdownHandle`]: stop `serve_forever` from any thread, or from a signal handler,
//! at once.
//!
//! Python's `shutdown()` sets a flag that `serve_forever` notices at its next poll, up to
//! `poll_interval` later, and deadlocks when called from the serving thread or when nothing
//! is serving. Here a shutdown writes to the loop's wake-up descriptor, which the loop
//! sleeps on with its socket: it returns at once, on the serving thread too, and when
//! nothing is serving.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::{fmt, io};

use crate::sys::WakeFd;

/// State shared between a serving loop and its shutdown handles.
pub(crate) struct ShutdownState {
    requested: AtomicBool,
    /// The thread running `serve_forever`, if any.
    serving: Mutex<Option<ThreadId>>,
    /// Other threads that serve for that one (the event loop's other loops): a
    /// `shutdown` called on one of them must not wait for a loop that waits for it.
    helpers: Mutex<Vec<ThreadId>>,
    exited: Condvar,
    wake: WakeFd,
}

impl fmt::Debug for ShutdownState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownState")
            .field("requested", &self.is_requested())
            .finish_non_exhaustive()
    }
}

impl ShutdownState {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(ShutdownState {
            requested: AtomicBool::new(false),
            serving: Mutex::new(None),
            helpers: Mutex::new(Vec::new()),
            exited: Condvar::new(),
            wake: WakeFd::new()?,
        })
    }

    /// The descriptor the loop's poller watches for wake-ups and stops.
    pub(crate) fn wake_fd(&self) -> &WakeFd {
        &self.wake
    }

    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    /// Called by the loop when its wake-up descriptor is readable: takes the wake-ups
    /// written since, and a stop among them (from a signal handler, say) becomes a
    /// shutdown request.
    pub(crate) fn woken(&self) {
        if self.wake.take_stop() {
            self.requested.store(true, Ordering::Release);
        }
    }

    /// Wakes the serving loop without asking it to stop (a slot freed, say).
    pub(crate) fn wake(&self) {
        self.wake.wake();
    }

    fn helpers(&self) -> MutexGuard<'_, Vec<ThreadId>> {
        // A list of thread ids: a panic elsewhere cannot corrupt it.
        self.helpers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the calling thread as serving for the serving thread until the guard drops
    /// (the event loop's other loops).
    pub(crate) fn helper(&self) -> HelperGuard<'_> {
        self.helpers().push(thread::current().id());
        HelperGuard { state: self }
    }

    fn serving(&self) -> MutexGuard<'_, Option<ThreadId>> {
        // The guarded value is a plain thread id: a panic elsewhere cannot corrupt it.
        self.serving.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the calling thread as serving until the guard drops. Returns `None` when a
    /// shutdown was requested before the loop started: that loop ends at once.
    pub(crate) fn enter(&self) -> Option<ServingGuard<'_>> {
        *self.serving() = Some(thread::current().id());
        let guard = ServingGuard { state: self };
        self.woken();
        if self.is_requested() {
            return None; // the guard's drop resets the request and wakes waiters
        }
        Some(guard)
    }
}

/// Ends a helper thread's serving.
pub(crate) struct HelperGuard<'a> {
    state: &'a ShutdownState,
}

impl Drop for HelperGuard<'_> {
    fn drop(&mut self) {
        let me = thread::current().id();
        self.state.helpers().retain(|id| *id != me);
    }
}

/// Ends a serving period: clears the request and releases threads waiting in `shutdown`.
pub(crate) struct ServingGuard<'a> {
    state: &'a ShutdownState,
}

impl Drop for ServingGuard<'_> {
    fn drop(&mut self) {
        let mut serving = self.state.serving();
        *serving = None;
        // A stop that came as the loop ended is for this serving period, not the next.
        self.state.wake.take_stop();
        self.state.requested.store(false, Ordering::Release);
        self.state.exited.notify_all();
    }
}

/// Stops a server's `serve_forever` loop from any thread.
///
/// Get one from the server's `shutdown_handle()`; it is cheap to clone and can be moved
/// into request handlers and other threads. [`request_shutdown`](Self::request_shutdown)
/// is async-signal-safe: a signal handler may call it (the servers'
/// [`stop_on_signals`](crate::ServerBuilder::stop_on_signals) does that for SIGINT and
/// SIGTERM).
///
/// ```
/// use socketserver::{StreamRequest, TcpServer};
///
/// let server = TcpServer::bind("127.0.0.1:0", || |_: &mut StreamRequest| Ok(()))?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.serve_forever());
/// handle.shutdown(); // returns once the loop has exited
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
#[derive(Clone)]
pub struct ShutdownHandle {
    state: Arc<ShutdownState>,
}

impl ShutdownHandle {
    pub(crate) fn new(state: Arc<ShutdownState>) -> Self {
        ShutdownHandle { state }
    }

    /// Stops `serve_forever` and waits until it has returned.
    ///
    /// - While a loop serves on another thread: wakes it at once (no `poll_interval`
    ///   wait) and returns after it has exited. Requests already running on other threads
    ///   are not waited for; closing the server does that.
    /// - On the serving thread itself (from a handler of a non-threading server, or of an
    ///   event loop with several loops): asks the loop to stop after the current request
    ///   and returns at once instead of deadlocking.
    /// - When nothing is serving: returns at once, and the next `serve_forever` returns
    ///   without serving (as in Python, a shutdown that races ahead of the loop still
    ///   stops it).
    pub fn shutdown(&self) {
        self.request_shutdown();
        let me = thread::current().id();
        if self.state.helpers().contains(&me) {
            return; // a thread the serving one waits for: as on the serving thread
        }
        let serving = self.state.serving();
        let _exited = self
            .state
            .exited
            .wait_while(serving, |serving| serving.is_some_and(|id| id != me))
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// Asks `serve_forever` to stop and returns without waiting for it.
    ///
    /// Async-signal-safe: an atomic store and one `write` to the loop's wake-up
    /// descriptor, no lock and no allocation.
    pub fn request_shutdown(&self) {
        self.state.requested.store(true, Ordering::Release);
        self.state.wake.stop();
    }

    /// Wakes the serving loop without asking it to stop.
    pub(crate) fn wake(&self) {
        self.state.wake();
    }

    /// The state behind the handle, for the signal registry.
    pub(crate) fn state(&self) -> &Arc<ShutdownState> {
        &self.state
    }

    /// Whether a shutdown was requested and the loop has not yet acted on it.
    pub fn is_shutdown_requested(&self) -> bool {
        self.state.is_requested()
    }
}

impl fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("requested", &self.state.is_requested())
            .finish_non_exhaustive()
    }
}
