//! [`Pool`]: a fixed set of worker threads, the lecture's
//! `ThreadPoolExecutor(max_workers=10)` as a mode.

use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;
use std::{fmt, io};

use threadpool::ThreadPool;

use crate::handler::{panic_message, RequestHandler};
use crate::server::{
    Blocking, Mode, ModeSealed, Request, Server, ServerBuilder, ShutdownHandle, SocketKind, Tcp,
    Udp, Unix, UnixDgram,
};
use crate::{Error, Result};

/// Serves requests on a fixed set of worker threads (the lecture's
/// `concurrent.futures.ThreadPoolExecutor(max_workers=10)`).
///
/// At most [`max_workers`](ServerBuilder::max_workers) handlers run at once, each on one
/// of that many threads started once and reused; datagrams are served on the workers too
/// (no thread per datagram).
///
/// What happens as clients pile up:
/// - up to `max_workers` requests run at once;
/// - up to [`max_queued`](ServerBuilder::max_queued) more are accepted and wait, first
///   come first served, for a worker to free;
/// - past that, the server stops accepting: new clients wait in the listen backlog
///   ([`request_queue_size`](ServerBuilder::request_queue_size)), and datagrams in the
///   socket's receive buffer, until a worker frees. Nothing is closed or dropped by the
///   server; only when the kernel's own queue overflows does the kernel refuse
///   connections (TCP clients retry) or drop datagrams.
///
/// A panicking handler is reported through `handle_error` and its worker goes on serving:
/// the pool stays at full strength.
///
/// Closing the server (dropping it or `server_close`) closes the socket, then, with
/// `block_on_close` (the default), waits until every accepted request, queued or
/// running, has been served. Without it, closing returns at once and the workers finish
/// the accepted requests in the background. `close_gracefully` bounds the wait.
///
/// ```
/// use socketserver::{PoolTcpServer, StreamRequest};
/// use std::io::{BufRead, BufReader, Write};
///
/// let server = PoolTcpServer::builder()
///     .max_workers(4)
///     .max_queued(16)
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
/// handle.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct Pool {
    /// Started by the first `serve_forever` or `handle_request`, so that a thread that
    /// cannot be started is reported as an error there.
    workers: OnceLock<ThreadPool>,
    max_workers: usize,
    max_queued: usize,
    requests: Arc<RequestCount>,
    block_on_close: bool,
}

/// A TCP server with a pool of worker threads.
pub type PoolTcpServer<H> = Server<Tcp, Pool, H>;
/// A UDP server whose datagrams are served by a pool of worker threads.
pub type PoolUdpServer<H> = Server<Udp, Pool, H>;
/// A Unix stream server with a pool of worker threads.
pub type PoolUnixStreamServer<H> = Server<Unix, Pool, H>;
/// A Unix datagram server whose datagrams are served by a pool of worker threads.
pub type PoolUnixDatagramServer<H> = Server<UnixDgram, Pool, H>;

impl Pool {
    /// Workers in a pool unless [`max_workers`](ServerBuilder::max_workers) says
    /// otherwise (the lecture's `max_workers=10`).
    pub const DEFAULT_MAX_WORKERS: usize = 10;
    /// Requests accepted beyond the busy workers unless
    /// [`max_queued`](ServerBuilder::max_queued) says otherwise.
    pub const DEFAULT_MAX_QUEUED: usize = 64;

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
}

impl Default for Pool {
    /// [`DEFAULT_MAX_WORKERS`](Self::DEFAULT_MAX_WORKERS) workers,
    /// [`DEFAULT_MAX_QUEUED`](Self::DEFAULT_MAX_QUEUED) queued requests, `block_on_close`
    /// on.
    fn default() -> Self {
        Pool {
            workers: OnceLock::new(),
            max_workers: Self::DEFAULT_MAX_WORKERS,
            max_queued: Self::DEFAULT_MAX_QUEUED,
            requests: Arc::default(),
            block_on_close: true,
        }
    }
}

impl<K: SocketKind, H> ServerBuilder<K, Pool, H> {
    /// When `true` (the default), closing the server waits for every accepted request,
    /// queued or running (Python's `block_on_close`).
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.mode.block_on_close = block;
        self
    }

    /// How many worker threads serve requests, so how many handlers run at once
    /// (`ThreadPoolExecutor`'s `max_workers`). Default
    /// [`Pool::DEFAULT_MAX_WORKERS`]; 0 is taken as 1.
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.mode.max_workers = workers.max(1);
        self
    }

    /// How many accepted requests may wait for a worker; past that the server stops
    /// accepting until a worker frees. Default [`Pool::DEFAULT_MAX_QUEUED`]; 0 accepts
    /// only when a worker is free.
    pub fn max_queued(mut self, queued: usize) -> Self {
        self.mode.max_queued = queued;
        self
    }
}

impl<K: SocketKind, H> Server<K, Pool, H> {
    /// How many handlers are running now.
    pub fn active_workers(&self) -> usize {
        self.mode().requests.count().running
    }

    /// How many accepted requests are waiting for a worker now.
    pub fn queued_requests(&self) -> usize {
        self.mode().requests.count().queued
    }
}

impl ModeSealed for Pool {}
impl Mode for Pool {}

impl Blocking for Pool {
    fn start(&self) -> Result<()> {
        self.workers().map(drop)
    }

    fn process_request<K: SocketKind, H: RequestHandler<K::Request>>(
        &self,
        request: Request<K, H>,
        _listener: Option<RawFd>,
    ) {
        let Some(workers) = self.workers.get() else {
            // `start` runs before any request is taken.
            log::error!(
                "no worker threads for {}: connection closed",
                request.client_address()
            );
            request.refuse();
            return;
        };
        self.requests.count().queued += 1;
        let mut ticket = Ticket {
            requests: Arc::clone(&self.requests),
            capacity: self.capacity(),
            wake: request.wake_handle().clone(),
            started: false,
        };
        // `Request::run` catches every panic, so a worker never dies and the pool keeps
        // its size.
        workers.execute(move || {
            ticket.start();
            request.run();
            drop(ticket);
        });
    }

    fn has_capacity(&self) -> bool {
        let count = self.requests.count();
        count.queued + count.running < self.capacity()
    }

    fn wait_idle(&self, deadline: Option<Instant>) -> bool {
        super::wait_for_zero(
            &self.requests.in_flight,
            &self.requests.changed,
            |c| c.queued + c.running,
            deadline,
        )
    }

    fn in_progress(&self) -> usize {
        let count = self.requests.count();
        count.queued + count.running
    }

    fn detach(&mut self) {
        self.block_on_close = false;
    }
}

impl Drop for Pool {
    /// What closing waits for: every accepted request, with `block_on_close`. Dropping
    /// the `ThreadPool` afterwards lets idle workers exit; busy ones exit once the queue
    /// is empty.
    fn drop(&mut self) {
        if self.block_on_close {
            self.wait_idle(None);
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = *self.requests.count();
        f.debug_struct("Pool")
            .field("max_workers", &self.max_workers)
            .field("max_queued", &self.max_queued)
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
