//! [`Threading`]: Python's `ThreadingMixIn`, one thread per request.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use std::{fmt, thread};

use crate::handler::RequestHandler;
use crate::server::{
    Blocking, Mode, ModeSealed, Request, Server, ServerBuilder, ShutdownHandle, SocketKind, Tcp,
    Udp, Unix, UnixDgram,
};

/// Serves each request on a thread of its own (Python's `ThreadingMixIn`).
///
/// Finished threads leave nothing behind (Python kept every `Thread` until 3.8), and
/// [`max_threads`](ServerBuilder::max_threads) bounds how many run at once, which Python
/// never could: at the limit the server stops accepting and the listen backlog holds new
/// clients until a handler returns.
///
/// Closing the server (dropping it or `server_close`) closes the socket, then, with
/// `block_on_close` (the default) and without `daemon_threads`, waits for running
/// handlers, as Python does. `close_gracefully` bounds that wait.
///
/// ```
/// use socketserver::{StreamRequest, ThreadingTcpServer};
/// use std::io::{BufRead, BufReader, Write};
///
/// let server = ThreadingTcpServer::builder()
///     .max_threads(Some(16))
///     .bind("127.0.0.1:0", || {
///         |req: &mut StreamRequest| {
///             let mut line = String::new();
///             while req.rfile.read_line(&mut line)? > 0 {
///                 req.wfile.write_all(line.as_bytes())?;
///                 line.clear();
///             }
///             Ok(())
///         }
///     })?;
/// let addr = server.local_addr()?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.run());
///
/// let mut client = std::net::TcpStream::connect(addr)?;
/// client.write_all(b"hello\n")?;
/// let mut reply = String::new();
/// BufReader::new(&client).read_line(&mut reply)?;
/// assert_eq!(reply, "hello\n");
///
/// handle.shutdown(); // `run` ends the idle connection and returns
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct Threading {
    threads: Arc<ThreadCount>,
    /// How many handler threads were started, to number their names.
    spawned: AtomicU64,
    max_threads: Option<usize>,
    daemon_threads: bool,
    block_on_close: bool,
}

/// A TCP server with a thread per connection (Python's `ThreadingTCPServer`).
pub type ThreadingTcpServer<H> = Server<Tcp, Threading, H>;
/// A UDP server with a thread per datagram (Python's `ThreadingUDPServer`).
pub type ThreadingUdpServer<H> = Server<Udp, Threading, H>;
/// A Unix stream server with a thread per connection (Python's
/// `ThreadingUnixStreamServer`).
pub type ThreadingUnixStreamServer<H> = Server<Unix, Threading, H>;
/// A Unix datagram server with a thread per datagram (Python's
/// `ThreadingUnixDatagramServer`).
pub type ThreadingUnixDatagramServer<H> = Server<UnixDgram, Threading, H>;

impl Default for Threading {
    /// `daemon_threads` off, `block_on_close` on, no thread limit, as in Python.
    fn default() -> Self {
        Threading {
            threads: Arc::default(),
            spawned: AtomicU64::new(0),
            max_threads: None,
            daemon_threads: false,
            block_on_close: true,
        }
    }
}

impl<K: SocketKind, H> ServerBuilder<K, Threading, H> {
    /// When `true`, closing the server does not wait for running handlers (Python's
    /// `daemon_threads`). Default `false`.
    pub fn daemon_threads(mut self, daemon: bool) -> Self {
        self.mode.daemon_threads = daemon;
        self
    }

    /// When `true` (the default), closing the server waits for running handlers
    /// (Python's `block_on_close`).
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.mode.block_on_close = block;
        self
    }

    /// At most this many handlers run at once; at the limit the server stops accepting
    /// until one returns. Default `None`: no limit, as in Python. `Some(0)` is taken as 1.
    pub fn max_threads(mut self, max: Option<usize>) -> Self {
        self.mode.max_threads = max.map(|m| m.max(1));
        self
    }
}

impl<K: SocketKind, H> Server<K, Threading, H> {
    /// How many handler threads are running now.
    pub fn active_threads(&self) -> usize {
        *self.mode().threads.count()
    }
}

impl ModeSealed for Threading {
    fn daemon_threads_by_default(&mut self) {
        self.daemon_threads = true;
    }
}
impl Mode for Threading {}

impl Blocking for Threading {
    fn process_request<K: SocketKind, H: RequestHandler<K::Request>>(
        &self,
        request: Request<K, H>,
        _listener: Option<RawFd>,
    ) {
        *self.threads.count() += 1;
        let running = Running {
            threads: Arc::clone(&self.threads),
            max_threads: self.max_threads,
            wake: request.wake_handle().clone(),
        };
        let client = request.client_address().clone();
        // Named like Python's `Thread-N (process_request_thread)`, for logs and panics.
        let number = self.spawned.fetch_add(1, Ordering::Relaxed) + 1;
        let spawned = thread::Builder::new()
            .name(format!("request-{number}"))
            .spawn(move || {
                let _running = running;
                request.run();
            });
        if let Err(err) = spawned {
            // The request went down with the closure: its connection is closed.
            log::error!("could not start a thread for {client}: {err}; connection closed");
        }
    }

    fn has_capacity(&self) -> bool {
        self.max_threads
            .is_none_or(|max| *self.threads.count() < max)
    }

    fn wait_idle(&self, deadline: Option<Instant>) -> bool {
        self.threads.wait_idle(deadline)
    }

    fn in_progress(&self) -> usize {
        *self.threads.count()
    }

    fn detach(&mut self) {
        self.block_on_close = false;
    }
}

impl Drop for Threading {
    /// What closing waits for: running handlers, unless `daemon_threads` or not
    /// `block_on_close`.
    fn drop(&mut self) {
        if self.block_on_close && !self.daemon_threads {
            self.threads.wait_idle(None);
        }
    }
}

impl fmt::Debug for Threading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Threading")
            .field("active_threads", &*self.threads.count())
            .field("max_threads", &self.max_threads)
            .field("daemon_threads", &self.daemon_threads)
            .field("block_on_close", &self.block_on_close)
            .finish()
    }
}

/// The running handler threads, counted (nothing per thread is kept, so nothing leaks).
#[derive(Default)]
struct ThreadCount {
    running: Mutex<usize>,
    changed: Condvar,
}

impl ThreadCount {
    fn count(&self) -> MutexGuard<'_, usize> {
        // A counter cannot be left half-updated by a panic.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no handler runs, or until `deadline`; returns whether none runs.
    fn wait_idle(&self, deadline: Option<Instant>) -> bool {
        super::wait_for_zero(&self.running, &self.changed, |n| *n, deadline)
    }
}

/// Decrements the count when a handler thread ends, however it ends.
struct Running {
    threads: Arc<ThreadCount>,
    max_threads: Option<usize>,
    wake: ShutdownHandle,
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = self.threads.count();
        let was_full = self.max_threads == Some(*running);
        *running -= 1;
        let idle = *running == 0;
        drop(running);
        // Only `wait_idle` waits on `changed`, and only for zero: notifying at any other
        // count cost every connection a futex syscall for nothing.
        if idle {
            self.threads.changed.notify_all();
        }
        if was_full {
            self.wake.wake();
        }
    }
}
