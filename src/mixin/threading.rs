//! [`Threading`]: Python's `ThreadingMixIn`, one thread per request.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::{fmt, thread};

use super::ProcessRequest;
use crate::server::{BaseServer, Request, Serve, ShutdownHandle, SocketKind, Tcp, Udp};
use crate::{DatagramRequest, RequestHandler, Result, StreamRequest};

/// Serves each request on a thread of its own (Python's `ThreadingMixIn`).
///
/// Wraps any server. Finished threads leave nothing behind (Python kept every `Thread`
/// until 3.8), and [`max_threads`](Self::max_threads) bounds how many run at once, which
/// Python never could: at the limit the server stops accepting and the listen backlog
/// holds new clients until a handler returns.
///
/// Closing the server (dropping it or [`server_close`](Self::server_close)) closes the
/// socket, then, with `block_on_close` (the default) and without `daemon_threads`, waits
/// for running handlers, as Python does. [`close_connections`](BaseServer::close_connections)
/// first makes idle handlers return.
///
/// ```
/// use socketserver::{StreamRequest, ThreadingTcpServer};
/// use std::io::{BufRead, BufReader, Write};
///
/// let server = ThreadingTcpServer::bind("127.0.0.1:0", || {
///     |req: &mut StreamRequest| {
///         let mut line = String::new();
///         while req.rfile.read_line(&mut line)? > 0 {
///             req.wfile.write_all(line.as_bytes())?;
///             line.clear();
///         }
///         Ok(())
///     }
/// })?
/// .max_threads(Some(16));
/// let addr = server.local_addr()?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.serve_forever());
///
/// let mut client = std::net::TcpStream::connect(addr)?;
/// client.write_all(b"hello\n")?;
/// let mut reply = String::new();
/// BufReader::new(&client).read_line(&mut reply)?;
/// assert_eq!(reply, "hello\n");
/// drop(client);
///
/// handle.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct Threading<S> {
    /// Dropped by hand in `drop`, so the socket closes before running handlers are
    /// waited for, as in Python's `server_close`.
    server: ManuallyDrop<S>,
    mode: ThreadingMode,
    daemon_threads: bool,
    block_on_close: bool,
}

/// A TCP server with a thread per connection (Python's `ThreadingTCPServer`).
pub type ThreadingTcpServer<H> = Threading<BaseServer<Tcp, H>>;
/// A UDP server with a thread per datagram (Python's `ThreadingUDPServer`).
pub type ThreadingUdpServer<H> = Threading<BaseServer<Udp, H>>;
/// A Unix stream server with a thread per connection (Python's
/// `ThreadingUnixStreamServer`).
#[cfg(unix)]
pub type ThreadingUnixStreamServer<H> = Threading<BaseServer<crate::server::UnixStream, H>>;
/// A Unix datagram server with a thread per datagram (Python's
/// `ThreadingUnixDatagramServer`).
#[cfg(unix)]
pub type ThreadingUnixDatagramServer<H> = Threading<BaseServer<crate::server::UnixDatagram, H>>;

impl<K: SocketKind, H: RequestHandler<K::Request>> Threading<BaseServer<K, H>> {
    /// Wraps `server`: `daemon_threads` off, `block_on_close` on, no thread limit.
    pub fn new(server: BaseServer<K, H>) -> Self {
        let wake = server.shutdown_handle();
        Threading {
            server: ManuallyDrop::new(server),
            mode: ThreadingMode {
                threads: Arc::new(ThreadCount::default()),
                spawned: AtomicU64::new(0),
                max_threads: None,
                wake,
            },
            daemon_threads: false,
            block_on_close: true,
        }
    }

    /// When `true`, closing the server does not wait for running handlers (Python's
    /// `daemon_threads`). Default `false`.
    pub fn daemon_threads(mut self, daemon: bool) -> Self {
        self.daemon_threads = daemon;
        self
    }

    /// When `true` (the default), closing the server waits for running handlers
    /// (Python's `block_on_close`).
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.block_on_close = block;
        self
    }

    /// At most this many handlers run at once; at the limit the server stops accepting
    /// until one returns. Default `None`: no limit, as in Python.
    pub fn max_threads(mut self, max: Option<usize>) -> Self {
        self.mode.max_threads = max.map(|m| m.max(1));
        self
    }

    /// How many handler threads are running now.
    pub fn active_threads(&self) -> usize {
        *self.mode.threads.count()
    }

    /// Handles requests, each on a new thread, until a [`ShutdownHandle`] stops it.
    pub fn serve_forever(&self) -> Result<()> {
        self.server.serve_forever_with(&self.mode)
    }

    /// Waits for one request (up to the server's `timeout`) and starts a thread for it.
    pub fn handle_request(&self) -> Result<bool> {
        self.server.handle_request_with(&self.mode)
    }

    /// Closes the socket and, with `block_on_close`, waits for running handlers.
    pub fn server_close(self) {}
}

impl<K: SocketKind, H: RequestHandler<K::Request>> Serve for Threading<BaseServer<K, H>> {
    fn serve_forever(&self) -> Result<()> {
        Threading::serve_forever(self)
    }

    fn shutdown_handle(&self) -> ShutdownHandle {
        self.server.shutdown_handle()
    }

    fn server_close(self) {
        Threading::server_close(self)
    }
}

impl<S> Deref for Threading<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.server
    }
}

impl<H: RequestHandler<StreamRequest>> ThreadingTcpServer<H> {
    /// Binds a TCP server that serves each connection on its own thread.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: std::net::ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Threading::new(crate::TcpServer::bind(addr, factory)?))
    }
}

impl<H: RequestHandler<DatagramRequest>> ThreadingUdpServer<H> {
    /// Binds a UDP server that serves each datagram on its own thread.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: std::net::ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Threading::new(crate::UdpServer::bind(addr, factory)?))
    }
}

#[cfg(unix)]
impl<H: RequestHandler<StreamRequest>> ThreadingUnixStreamServer<H> {
    /// Binds a Unix stream server that serves each connection on its own thread.
    pub fn bind<P, F>(path: P, factory: F) -> Result<Self>
    where
        P: AsRef<std::path::Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Threading::new(crate::UnixStreamServer::bind(
            path, factory,
        )?))
    }
}

#[cfg(unix)]
impl<H: RequestHandler<DatagramRequest>> ThreadingUnixDatagramServer<H> {
    /// Binds a Unix datagram server that serves each datagram on its own thread.
    pub fn bind<P, F>(path: P, factory: F) -> Result<Self>
    where
        P: AsRef<std::path::Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Threading::new(crate::UnixDatagramServer::bind(
            path, factory,
        )?))
    }
}

impl<S> Drop for Threading<S> {
    fn drop(&mut self) {
        // SAFETY: `server` is not touched again: this is the wrapper's last use of it.
        unsafe { ManuallyDrop::drop(&mut self.server) };
        if self.block_on_close && !self.daemon_threads {
            self.mode.threads.wait_idle();
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Threading<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Threading")
            .field("server", &*self.server)
            .field("active_threads", &*self.mode.threads.count())
            .field("max_threads", &self.mode.max_threads)
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

    fn wait_idle(&self) {
        let running = self.count();
        let _idle = self
            .changed
            .wait_while(running, |n| *n > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

struct ThreadingMode {
    threads: Arc<ThreadCount>,
    /// How many handler threads were started, to number their names.
    spawned: AtomicU64,
    max_threads: Option<usize>,
    /// Wakes the serving loop when a thread frees a slot at the limit.
    wake: ShutdownHandle,
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

impl<K: SocketKind, H: RequestHandler<K::Request>> ProcessRequest<K, H> for ThreadingMode {
    fn process_request(&self, request: Request<K, H>) {
        *self.threads.count() += 1;
        let running = Running {
            threads: Arc::clone(&self.threads),
            max_threads: self.max_threads,
            wake: self.wake.clone(),
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
}
