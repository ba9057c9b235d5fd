//! [`Pool`]: a fixed set of worker threads, the lecture's
//! `ThreadPoolExecutor(max_workers=10)` as a wrapper.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::{fmt, io};

use threadpool::ThreadPool;

use super::ProcessRequest;
use crate::handler::panic_message;
use crate::server::{BaseServer, Request, Serve, ShutdownHandle, SocketKind, Tcp, Udp};
use crate::{DatagramRequest, Error, RequestHandler, Result, StreamRequest};

/// Workers in a pool unless [`Pool::max_workers`] says otherwise (the lecture's
/// `max_workers=10`).
pub const DEFAULT_MAX_WORKERS: usize = 10;

/// Requests accepted beyond the busy workers unless [`Pool::max_queued`] says otherwise.
pub const DEFAULT_MAX_QUEUED: usize = 64;

/// Serves requests on a fixed set of worker threads (the lecture's
/// `concurrent.futures.ThreadPoolExecutor(max_workers=10)`).
///
/// Wraps any server. At most [`max_workers`](Self::max_workers) handlers run at once,
/// each on one of that many threads started once and reused; datagrams are served on the
/// workers too (no thread per datagram).
///
/// What happens as clients pile up:
/// - up to `max_workers` requests run at once;
/// - up to [`max_queued`](Self::max_queued) more are accepted and wait, first come first
///   served, for a worker to free;
/// - past that, the server stops accepting: new clients wait in the listen backlog
///   ([`request_queue_size`](crate::ServerBuilder::request_queue_size)), and datagrams in
///   the socket's receive buffer, until a worker frees. Nothing is closed or dropped by
///   the server; only when the kernel's own queue overflows does the kernel refuse
///   connections (TCP clients retry) or drop datagrams.
///
/// A panicking handler is reported through `handle_error` and its worker goes on serving:
/// the pool stays at full strength.
///
/// Closing the server (dropping it or [`server_close`](Self::server_close)) closes the
/// socket, then, with `block_on_close` (the default), waits until every accepted request,
/// queued or running, has been served. Without it, closing returns at once and the
/// workers finish the accepted requests in the background.
///
/// ```
/// use socketserver::{PoolTcpServer, StreamRequest};
/// use std::io::{BufRead, BufReader, Write};
///
/// let server = PoolTcpServer::bind("127.0.0.1:0", || {
///     |req: &mut StreamRequest| {
///         let mut line = String::new();
///         while req.rfile.read_line(&mut line)? > 0 {
///             req.wfile.write_all(line.as_bytes())?;
///             line.clear();
///         }
///         Ok(())
///     }
/// })?
/// .max_workers(4)
/// .max_queued(16);
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
pub struct Pool<S> {
    /// Dropped by hand in `drop`, so the socket closes before accepted requests are
    /// waited for, as in Python's `server_close`.
    server: ManuallyDrop<S>,
    mode: PoolMode,
    block_on_close: bool,
}

/// A TCP server with a pool of worker threads.
pub type PoolTcpServer<H> = Pool<BaseServer<Tcp, H>>;
/// A UDP server whose datagrams are served by a pool of worker threads.
pub type PoolUdpServer<H> = Pool<BaseServer<Udp, H>>;
/// A Unix stream server with a pool of worker threads.
#[cfg(unix)]
pub type PoolUnixStreamServer<H> = Pool<BaseServer<crate::server::UnixStream, H>>;
/// A Unix datagram server whose datagrams are served by a pool of worker threads.
#[cfg(unix)]
pub type PoolUnixDatagramServer<H> = Pool<BaseServer<crate::server::UnixDatagram, H>>;

impl<K: SocketKind, H: RequestHandler<K::Request>> Pool<BaseServer<K, H>> {
    /// Wraps `server`: [`DEFAULT_MAX_WORKERS`] workers, [`DEFAULT_MAX_QUEUED`] queued
    /// requests, `block_on_close` on. The workers start when serving starts.
    pub fn new(server: BaseServer<K, H>) -> Self {
        let wake = server.shutdown_handle();
        Pool {
            server: ManuallyDrop::new(server),
            mode: PoolMode {
                workers: OnceLock::new(),
                max_workers: DEFAULT_MAX_WORKERS,
                max_queued: DEFAULT_MAX_QUEUED,
                requests: Arc::new(RequestCount::default()),
                wake,
            },
            block_on_close: true,
        }
    }

    /// When `true` (the default), closing the server waits for every accepted request,
    /// queued or running (Python's `block_on_close`).
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.block_on_close = block;
        self
    }

    /// How many worker threads serve requests, so how many handlers run at once
    /// (`ThreadPoolExecutor`'s `max_workers`). Default [`DEFAULT_MAX_WORKERS`]; 0 is
    /// taken as 1.
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.mode.max_workers = workers.max(1);
        // Workers started by an earlier `handle_request` finish what they hold and exit.
        self.mode.workers = OnceLock::new();
        self
    }

    /// How many accepted requests may wait for a worker; past that the server stops
    /// accepting until a worker frees. Default [`DEFAULT_MAX_QUEUED`]; 0 accepts only
    /// when a worker is free.
    pub fn max_queued(mut self, queued: usize) -> Self {
        self.mode.max_queued = queued;
        self
    }

    /// How many handlers are running now.
    pub fn active_workers(&self) -> usize {
        self.mode.requests.count().running
    }

    /// How many accepted requests are waiting for a worker now.
    pub fn queued_requests(&self) -> usize {
        self.mode.requests.count().queued
    }

    /// Handles requests on the workers until a [`ShutdownHandle`] stops it.
    ///
    /// Fails at once if the worker threads cannot be started.
    pub fn serve_forever(&self) -> Result<()> {
        let workers = self.mode.workers()?;
        self.server.serve_forever_with(&self.mode.dispatch(workers))
    }

    /// Waits for one request (up to the server's `timeout`) and hands it to a worker.
    pub fn handle_request(&self) -> Result<bool> {
        let workers = self.mode.workers()?;
        self.server
            .handle_request_with(&self.mode.dispatch(workers))
    }

    /// Closes the socket and, with `block_on_close`, waits for queued and running requests.
    pub fn server_close(self) {}
}

impl<K: SocketKind, H: RequestHandler<K::Request>> Serve for Pool<BaseServer<K, H>> {
    fn serve_forever(&self) -> Result<()> {
        Pool::serve_forever(self)
    }

    fn shutdown_handle(&self) -> ShutdownHandle {
        self.server.shutdown_handle()
    }

    fn server_close(self) {
        Pool::server_close(self)
    }
}

impl<S> Deref for Pool<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.server
    }
}

impl<H: RequestHandler<StreamRequest>> PoolTcpServer<H> {
    /// Binds a TCP server whose connections are served by a pool of workers.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: std::net::ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Pool::new(crate::TcpServer::bind(addr, factory)?))
    }
}

impl<H: RequestHandler<DatagramRequest>> PoolUdpServer<H> {
    /// Binds a UDP server whose datagrams are served by a pool of workers.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: std::net::ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Pool::new(crate::UdpServer::bind(addr, factory)?))
    }
}

#[cfg(unix)]
impl<H: RequestHandler<StreamRequest>> PoolUnixStreamServer<H> {
    /// Binds a Unix stream server whose connections are served by a pool of workers.
    pub fn bind<P, F>(path: P, factory: F) -> Result<Self>
    where
        P: AsRef<std::path::Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Pool::new(crate::UnixStreamServer::bind(path, factory)?))
    }
}

#[cfg(unix)]
impl<H: RequestHandler<DatagramRequest>> PoolUnixDatagramServer<H> {
    /// Binds a Unix datagram server whose datagrams are served by a pool of workers.
    pub fn bind<P, F>(path: P, factory: F) -> Result<Self>
    where
        P: AsRef<std::path::Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Pool::new(crate::UnixDatagramServer::bind(path, factory)?))
    }
}

impl<S> Drop for Pool<S> {
    fn drop(&mut self) {
        // SAFETY: `server` is not touched again: this is the wrapper's last use of it.
        unsafe { ManuallyDrop::drop(&mut self.server) };
        if self.block_on_close {
            self.mode.requests.wait_idle();
        }
        // Dropping the `ThreadPool` afterwards lets idle workers exit; busy ones exit once
        // the queue is empty.
    }
}

impl<S: fmt::Debug> fmt::Debug for Pool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = *self.mode.requests.count();
        f.debug_struct("Pool")
            .field("server", &*self.server)
            .field("max_workers", &self.mode.max_workers)
            .field("max_queued", &self.mode.max_queued)
            .field("active_workers", &count.running)
            .field("queued_requests", &count.queued)
            .field("block_on_close", &self.block_on_close)
            .finish()
    }
}

/// Accepted requests not yet served: waiting for a worker, or running on one.
#[derive(Debug, Default, Clone, Copy)]
struct InFlight {
    queued: usize,
    running: usize,
}

#[derive(Default)]
struct RequestCount {
    in_flight: Mutex<InFlight>,
    changed: Condvar,
}

impl RequestCount {
    fn count(&self) -> MutexGuard<'_, InFlight> {
        // Two counters updated together under the lock: a panic cannot split them.
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_idle(&self) {
        let count = self.count();
        let _idle = self
            .changed
            .wait_while(count, |c| c.queued + c.running > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

struct PoolMode {
    /// Started by the first `serve_forever` or `handle_request`, so that a thread that
    /// cannot be started is reported as an error there.
    workers: OnceLock<ThreadPool>,
    max_workers: usize,
    max_queued: usize,
    requests: Arc<RequestCount>,
    /// Wakes the serving loop when a request ends while the pool is full.
    wake: ShutdownHandle,
}

impl PoolMode {
    fn workers(&self) -> Result<&ThreadPool> {
        if let Some(workers) = self.workers.get() {
            return Ok(workers);
        }
        let count = self.max_workers;
        // threadpool panics when the system refuses a thread; make that an error.
        let built = panic::catch_unwind(AssertUnwindSafe(|| {
            threadpool::Builder::new()
                .num_threads(count)
                .thread_name("socketserver-pool".to_owned())
                .build()
        }))
        .map_err(|payload| {
            Error::Io(io::Error::other(format!(
                "could not start {count} worker threads: {}",
                panic_message(payload.as_ref())
            )))
        })?;
        Ok(self.workers.get_or_init(|| built))
    }

    fn capacity(&self) -> usize {
        self.max_workers.saturating_add(self.max_queued)
    }

    fn dispatch<'a>(&'a self, workers: &'a ThreadPool) -> Dispatch<'a> {
        Dispatch {
            workers,
            mode: self,
        }
    }
}

/// One serving call's view of the pool: the workers are known to be running.
struct Dispatch<'a> {
    workers: &'a ThreadPool,
    mode: &'a PoolMode,
}

/// One accepted request's place in the counts: queued until `start`, running after, and
/// gone when dropped, however the job ends (or if it never runs).
struct Ticket {
    requests: Arc<RequestCount>,
    capacity: usize,
    wake: ShutdownHandle,
    started: bool,
}

impl Ticket {
    fn start(&mut self) {
        let mut count = self.requests.count();
        count.queued -= 1;
        count.running += 1;
        self.started = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut count = self.requests.count();
        let was_full = count.queued + count.running >= self.capacity;
        if self.started {
            count.running -= 1;
        } else {
            count.queued -= 1;
        }
        drop(count);
        self.requests.changed.notify_all();
        if was_full {
            self.wake.wake();
        }
    }
}

impl<K: SocketKind, H: RequestHandler<K::Request>> ProcessRequest<K, H> for Dispatch<'_> {
    fn process_request(&self, request: Request<K, H>) {
        self.mode.requests.count().queued += 1;
        let mut ticket = Ticket {
            requests: Arc::clone(&self.mode.requests),
            capacity: self.mode.capacity(),
            wake: self.mode.wake.clone(),
            started: false,
        };
        // `Request::run` catches every panic, so a worker never dies and the pool keeps
        // its size.
        self.workers.execute(move || {
            ticket.start();
            request.run();
            drop(ticket);
        });
    }

    fn has_capacity(&self) -> bool {
        let count = self.mode.requests.count();
        count.queued + count.running < self.mode.capacity()
    }
}
