//! [`Forking`]: Python's `ForkingMixIn`, one child process per request (Unix).

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};

use super::children::{self, Children, Forked, Reap, SigtermBlocked};
use super::ProcessRequest;
use crate::server::{BaseServer, Request, Serve, ShutdownHandle, SocketKind, Tcp, Udp};
use crate::{DatagramRequest, RequestHandler, Result, StreamRequest};

/// Children a forking server runs at once unless [`Forking::max_children`] says otherwise
/// (Python's `max_children`).
pub const DEFAULT_MAX_CHILDREN: usize = 40;

/// Serves each request in a child process of its own (Python's `ForkingMixIn`). Unix only.
///
/// Wraps any server. For each request the server forks; the child runs the handler and
/// exits, the parent closes its copy of the connection at once (without shutting it
/// down: the connection is the child's) and goes back to accepting. Whatever the handler
/// changes lives in the child and ends with it: share state through files, pipes or the
/// client, not through the factory's captures.
///
/// Children are reaped by pid on every turn of the loop (no zombies), never with
/// `waitpid(-1)`, so children the application starts itself keep their exit status for
/// it. At [`max_children`](Self::max_children) running children the server stops
/// accepting (new clients wait in the listen backlog) until one exits. A child tells the
/// server it is leaving just before it exits, which frees its slot at once (on Linux and
/// Android, where the loop's wake-up descriptor is shared with the child; elsewhere, and
/// for a child that is killed or calls `exit` itself, the loop notices within
/// `poll_interval`, which also bounds its wait while at the limit).
///
/// A child's end never takes the server down: a handler's error or panic is reported
/// through `handle_error` in the child, and a child that exits with a non-zero status or
/// is killed by a signal is logged as a warning when it is reaped. The child exits with
/// `_exit`: no destructors, no `atexit` handlers, no second flush of stdio buffers it
/// inherited. A child closes its copy of a stream server's listening socket first, so
/// a server that is closed (or exits) while children run stops taking clients and frees
/// its port; otherwise a child inherits every descriptor the parent has open, as with any
/// `fork`.
///
/// Unlike Python's `ForkingMixIn`, the wrapper leaves the server's `timeout` alone
/// (Python sets it to 300 s for forking servers).
///
/// Closing the server (dropping it or [`server_close`](Self::server_close)) closes the
/// socket, then, with `block_on_close` (the default), waits for every child to exit, as
/// Python does. [`close_connections`](Self::close_connections) first asks the children
/// to end their requests, so a client that stays connected does not hold the server up.
///
/// # Forking and threads
///
/// Forking a process that has other threads is unsafe: the child has only the thread that
/// forked, and a lock another thread held at that moment (the allocator's, stdout's, a
/// logger's, one of yours) stays locked in the child forever. Serve a forking server from
/// a process with no other threads (or threads that hold no lock the handler needs), and
/// keep handlers to their request (the example below, like the crate's forking tests,
/// forks from a process with one thread). On its side, the crate holds no lock the child
/// needs across `fork`, and the child does nothing but close the listening socket, run
/// the request, tell the parent it is leaving (one `write`, no allocation, no lock) and
/// `_exit`; a stream child also sets its SIGTERM handler first (below).
///
/// # Signals
///
/// A child serving a connection replaces its SIGTERM disposition: SIGTERM shuts down the
/// read half of its connection (what [`close_connections`](Self::close_connections)
/// sends), and the handler ends as a client's end-of-file would end it. To kill a child
/// outright, send SIGKILL. Around `fork` the server blocks SIGTERM on the forking thread
/// for a moment, so a child cannot receive it before its handler is in place. Every other
/// disposition is inherited from the server, as with any `fork` (a terminal's Ctrl-C
/// reaches the children too: give the server a SIGINT handler, and its children inherit
/// it).
///
/// ```
/// use socketserver::{ForkingTcpServer, StreamRequest};
/// use std::io::{Read, Write};
///
/// let server = ForkingTcpServer::bind("127.0.0.1:0", || {
///     |req: &mut StreamRequest| writeln!(req.wfile, "served by process {}", std::process::id())
/// })?
/// .max_children(8);
/// // One thread only: the client connects (the listen backlog completes the handshake),
/// // then `handle_request` forks a child that serves it.
/// let mut client = std::net::TcpStream::connect(server.local_addr()?)?;
/// server.handle_request()?;
/// let mut reply = String::new();
/// client.read_to_string(&mut reply)?; // end-of-file once the child is done
/// assert!(reply.starts_with("served by process "));
/// assert_ne!(reply, format!("served by process {}\n", std::process::id()));
/// server.server_close(); // waits for the child
/// # Ok::<(), socketserver::Error>(())
/// ```
pub struct Forking<S> {
    /// Dropped by hand in `drop`, so the socket closes before children are waited for, as
    /// in Python's `server_close`.
    server: ManuallyDrop<S>,
    mode: ForkingMode,
    block_on_close: bool,
}

/// A TCP server with a child process per connection (Python's `ForkingTCPServer`).
pub type ForkingTcpServer<H> = Forking<BaseServer<Tcp, H>>;
/// A UDP server with a child process per datagram (Python's `ForkingUDPServer`).
pub type ForkingUdpServer<H> = Forking<BaseServer<Udp, H>>;
/// A Unix stream server with a child process per connection (Python's
/// `ForkingUnixStreamServer`).
pub type ForkingUnixStreamServer<H> = Forking<BaseServer<crate::server::UnixStream, H>>;
/// A Unix datagram server with a child process per datagram (Python's
/// `ForkingUnixDatagramServer`).
pub type ForkingUnixDatagramServer<H> = Forking<BaseServer<crate::server::UnixDatagram, H>>;

impl<K: SocketKind, H: RequestHandler<K::Request>> Forking<BaseServer<K, H>> {
    /// Wraps `server`: at most [`DEFAULT_MAX_CHILDREN`] children, `block_on_close` on.
    pub fn new(server: BaseServer<K, H>) -> Self {
        let wake = server.shutdown_handle();
        let fd = server.raw_fd();
        // A datagram child replies through the server's socket: it keeps that one.
        let listener = children::is_listening(fd).then_some(fd);
        Forking {
            server: ManuallyDrop::new(server),
            mode: ForkingMode {
                children: Children::new(),
                max_children: DEFAULT_MAX_CHILDREN,
                wake,
                listener,
            },
            block_on_close: true,
        }
    }

    /// When `true` (the default), closing the server waits for every child to exit
    /// (Python's `block_on_close`). When `false`, children still running are left to
    /// finish on their own, unreaped by the server.
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.block_on_close = block;
        self
    }

    /// At most this many children run at once; at the limit the server stops accepting
    /// until one exits (Python's `max_children`). Default [`DEFAULT_MAX_CHILDREN`]; 0 is
    /// taken as 1.
    pub fn max_children(mut self, max: usize) -> Self {
        self.mode.max_children = max.max(1);
        self
    }

    /// How many children the server has not reaped yet (Python's `len(active_children)`).
    pub fn active_children(&self) -> usize {
        self.mode.children.len()
    }

    /// Ends the requests of idle clients, as [`BaseServer::close_connections`] does for
    /// threads: every child serving a connection is sent SIGTERM, which shuts down the
    /// read half of its connection, so a handler blocked reading sees end-of-file and
    /// returns, while a reply being written still goes out; the child then exits as
    /// usual. Returns how many children were asked.
    ///
    /// Call it after [`ShutdownHandle::shutdown`], before closing the server, for a
    /// graceful stop that does not wait on clients that stay connected. Children forked
    /// after the call are not affected. Datagram servers have no connections: their
    /// children are left to finish, and it returns 0.
    ///
    /// ```
    /// use socketserver::{ForkingTcpServer, StreamRequest};
    /// use std::io::{BufRead, BufReader, Write};
    ///
    /// let server = ForkingTcpServer::bind("127.0.0.1:0", || {
    ///     |req: &mut StreamRequest| {
    ///         writeln!(req.wfile, "hello")?;
    ///         req.wfile.flush()?;
    ///         let mut line = String::new();
    ///         req.rfile.read_line(&mut line)?; // the client never sends: end-of-file
    ///         writeln!(req.wfile, "bye")
    ///     }
    /// })?;
    /// let client = std::net::TcpStream::connect(server.local_addr()?)?;
    /// server.handle_request()?; // forks the child, which serves the client
    /// let mut lines = BufReader::new(client).lines();
    /// assert_eq!(lines.next().transpose()?.as_deref(), Some("hello"));
    /// assert_eq!(server.close_connections(), 1);
    /// assert_eq!(lines.next().transpose()?.as_deref(), Some("bye"));
    /// server.server_close(); // the child has ended: returns at once
    /// # Ok::<(), socketserver::Error>(())
    /// ```
    pub fn close_connections(&self) -> usize {
        // Only a stream server has a listening socket, and connections.
        if self.mode.listener.is_none() {
            return 0;
        }
        self.mode.children.reap(Reap::Exited);
        self.mode.children.signal_all(libc::SIGTERM)
    }

    /// Handles requests, each in a new child process, until a [`ShutdownHandle`] stops it.
    pub fn serve_forever(&self) -> Result<()> {
        self.server.serve_forever_with(&self.mode)
    }

    /// Waits for one request (up to the server's `timeout`) and forks a child for it.
    pub fn handle_request(&self) -> Result<bool> {
        self.server.handle_request_with(&self.mode)
    }

    /// Closes the socket and, with `block_on_close`, waits for every child to exit.
    pub fn server_close(self) {}
}

impl<K: SocketKind, H: RequestHandler<K::Request>> Serve for Forking<BaseServer<K, H>> {
    fn serve_forever(&self) -> Result<()> {
        Forking::serve_forever(self)
    }

    fn shutdown_handle(&self) -> ShutdownHandle {
        self.server.shutdown_handle()
    }

    fn server_close(self) {
        Forking::server_close(self)
    }
}

impl<S> Deref for Forking<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.server
    }
}

impl<H: RequestHandler<StreamRequest>> ForkingTcpServer<H> {
    /// Binds a TCP server that serves each connection in a child process.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: std::net::ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Forking::new(crate::TcpServer::bind(addr, factory)?))
    }
}

impl<H: RequestHandler<DatagramRequest>> ForkingUdpServer<H> {
    /// Binds a UDP server that serves each datagram in a child process.
    pub fn bind<A, F>(addr: A, factory: F) -> Result<Self>
    where
        A: std::net::ToSocketAddrs,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Forking::new(crate::UdpServer::bind(addr, factory)?))
    }
}

impl<H: RequestHandler<StreamRequest>> ForkingUnixStreamServer<H> {
    /// Binds a Unix stream server that serves each connection in a child process.
    pub fn bind<P, F>(path: P, factory: F) -> Result<Self>
    where
        P: AsRef<std::path::Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Forking::new(crate::UnixStreamServer::bind(path, factory)?))
    }
}

impl<H: RequestHandler<DatagramRequest>> ForkingUnixDatagramServer<H> {
    /// Binds a Unix datagram server that serves each datagram in a child process.
    pub fn bind<P, F>(path: P, factory: F) -> Result<Self>
    where
        P: AsRef<std::path::Path>,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Ok(Forking::new(crate::UnixDatagramServer::bind(
            path, factory,
        )?))
    }
}

impl<S> Drop for Forking<S> {
    fn drop(&mut self) {
        // SAFETY: `server` is not touched again: this is the wrapper's last use of it.
        unsafe { ManuallyDrop::drop(&mut self.server) };
        let how = if self.block_on_close {
            Reap::All
        } else {
            Reap::Exited
        };
        self.mode.children.reap(how);
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Forking<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forking")
            .field("server", &*self.server)
            .field("active_children", &self.mode.children.len())
            .field("max_children", &self.mode.max_children)
            .field("block_on_close", &self.block_on_close)
            .finish()
    }
}

struct ForkingMode {
    children: Children,
    max_children: usize,
    /// Woken by a child as it exits, so a slot freed at the limit is taken at once.
    wake: ShutdownHandle,
    /// The listening socket of a stream server, which a child closes first thing.
    listener: Option<RawFd>,
}

impl ForkingMode {
    /// In the child: serve, tell the parent, leave. Nothing here returns to the caller,
    /// so no destructor of the parent's state runs twice.
    fn run_child<K: SocketKind, H: RequestHandler<K::Request>>(
        &self,
        request: Request<K, H>,
        sigterm: Option<SigtermBlocked>,
    ) -> ! {
        match (sigterm, request.connection_fd()) {
            (Some(sigterm), Some(fd)) => sigterm.end_reads_on_sigterm(fd),
            (sigterm, _) => drop(sigterm),
        }
        if let Some(fd) = self.listener {
            children::close_in_child(fd);
        }
        // `run` reports every error and panic itself; this only guards what is left.
        let served = panic::catch_unwind(AssertUnwindSafe(|| request.run()));
        children::forget_connection();
        self.children.announce_exit();
        // mio's waker is an eventfd on these systems, shared with the parent by fork.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        self.wake.wake();
        children::exit_now(if served.is_ok() { 0 } else { 1 })
    }
}

impl<K: SocketKind, H: RequestHandler<K::Request>> ProcessRequest<K, H> for ForkingMode {
    fn process_request(&self, request: Request<K, H>) {
        let sigterm = SigtermBlocked::new();
        match children::fork() {
            Ok(Forked::Child) => self.run_child(request, sigterm),
            Ok(Forked::Parent(pid)) => {
                drop(sigterm);
                self.children.add(pid);
                log::debug!("child {pid} serves {}", request.client_address());
                // Closes the parent's copy of the connection; shutting it down would end
                // the child's too.
                drop(request);
            }
            Err(err) => {
                drop(sigterm);
                log::error!(
                    "could not fork for {}: {err}; connection closed",
                    request.client_address()
                );
                request.refuse();
            }
        }
    }

    fn has_capacity(&self) -> bool {
        self.children.reap(Reap::Announced);
        if self.children.len() < self.max_children {
            return true;
        }
        // At the limit: a killed child never announces its exit.
        self.children.reap(Reap::Exited);
        self.children.len() < self.max_children
    }

    fn service_actions(&self) {
        self.children.reap(Reap::Exited);
    }

    fn handle_timeout(&self) {
        self.children.reap(Reap::Exited);
    }
}
