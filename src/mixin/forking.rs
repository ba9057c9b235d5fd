//! [`Forking`]: Python's `ForkingMixIn`, one child process per request (Unix).

use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use super::children::{self, Children, Forked, Reap, SigtermBlocked};
use crate::handler::RequestHandler;
use crate::server::{
    Blocking, Connections, Mode, ModeSealed, Request, Server, ServerBuilder, SocketKind, Tcp, Udp,
    Unix, UnixDgram,
};

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
/// it. At [`max_children`](ServerBuilder::max_children) running children the server stops
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
/// Closing the server (dropping it or `server_close`) closes the socket, then, with
/// `block_on_close` (the default), waits for every child to exit, as Python does.
/// [`close_connections`](Server::close_connections) first asks the children to end
/// their requests, so a client that stays connected does not hold the server up, and
/// `close_gracefully` does both with a deadline (past it, children are killed).
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
/// read half of its connection (what [`close_connections`](Server::close_connections)
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
/// let server = ForkingTcpServer::builder()
///     .max_children(8)
///     .bind("127.0.0.1:0", || {
///         |req: &mut StreamRequest| writeln!(req.wfile, "served by process {}", std::process::id())
///     })?;
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
pub struct Forking {
    children: Children,
    max_children: usize,
    block_on_close: bool,
}

/// A TCP server with a child process per connection (Python's `ForkingTCPServer`).
pub type ForkingTcpServer<H> = Server<Tcp, Forking, H>;
/// A UDP server with a child process per datagram (Python's `ForkingUDPServer`).
pub type ForkingUdpServer<H> = Server<Udp, Forking, H>;
/// A Unix stream server with a child process per connection (Python's
/// `ForkingUnixStreamServer`).
pub type ForkingUnixStreamServer<H> = Server<Unix, Forking, H>;
/// A Unix datagram server with a child process per datagram (Python's
/// `ForkingUnixDatagramServer`).
pub type ForkingUnixDatagramServer<H> = Server<UnixDgram, Forking, H>;

impl Forking {
    /// Children a forking server runs at once unless
    /// [`max_children`](ServerBuilder::max_children) says otherwise (Python's
    /// `max_children`).
    pub const DEFAULT_MAX_CHILDREN: usize = 40;

    /// In the child: serve, tell the parent, leave. Nothing here returns to the caller,
    /// so no destructor of the parent's state runs twice.
    fn run_child<K: SocketKind, H: RequestHandler<K::Request>>(
        &self,
        request: Request<K, H>,
        listener: Option<RawFd>,
        sigterm: Option<SigtermBlocked>,
    ) -> ! {
        match (sigterm, request.connection_fd()) {
            (Some(sigterm), Some(fd)) => sigterm.end_reads_on_sigterm(fd),
            (sigterm, _) => drop(sigterm),
        }
        if let Some(fd) = listener {
            children::close_in_child(fd);
        }
        let wake = request.wake_handle().clone();
        // `run` reports every error and panic itself; this only guards what is left.
        let served = panic::catch_unwind(AssertUnwindSafe(|| request.run()));
        children::forget_connection();
        self.children.announce_exit();
        // The wake-up descriptor is shared with the parent by fork: one write wakes it.
        wake.wake();
        children::exit_now(if served.is_ok() { 0 } else { 1 })
    }
}

impl Default for Forking {
    /// At most [`DEFAULT_MAX_CHILDREN`](Self::DEFAULT_MAX_CHILDREN) children,
    /// `block_on_close` on.
    fn default() -> Self {
        Forking {
            children: Children::new(),
            max_children: Self::DEFAULT_MAX_CHILDREN,
            block_on_close: true,
        }
    }
}

impl<K: SocketKind, H> ServerBuilder<K, Forking, H> {
    /// When `true` (the default), closing the server waits for every child to exit
    /// (Python's `block_on_close`). When `false`, children still running are left to
    /// finish on their own, unreaped by the server.
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.mode.block_on_close = block;
        self
    }

    /// At most this many children run at once; at the limit the server stops accepting
    /// until one exits (Python's `max_children`). Default
    /// [`Forking::DEFAULT_MAX_CHILDREN`]; 0 is taken as 1.
    pub fn max_children(mut self, max: usize) -> Self {
        self.mode.max_children = max.max(1);
        self
    }
}

impl<K: SocketKind, H> Server<K, Forking, H> {
    /// How many children the server has not reaped yet (Python's `len(active_children)`).
    pub fn active_children(&self) -> usize {
        self.mode().children.len()
    }
}

impl ModeSealed for Forking {}
impl Mode for Forking {}

impl Blocking for Forking {
    fn process_request<K: SocketKind, H: RequestHandler<K::Request>>(
        &self,
        request: Request<K, H>,
        listener: Option<RawFd>,
    ) {
        let sigterm = SigtermBlocked::new();
        let serves_connection = request.connection_fd().is_some();
        match children::fork() {
            Ok(Forked::Child) => self.run_child(request, listener, sigterm),
            Ok(Forked::Parent(pid)) => {
                drop(sigterm);
                self.children.add(pid, serves_connection);
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

    /// Every child serving a connection is sent SIGTERM, which shuts down the read half of
    /// its connection, so a handler blocked reading sees end-of-file and returns, while a
    /// reply being written still goes out; the child then exits as usual. Children forked
    /// after the call are not affected. Datagram children are left to finish.
    fn close_connections(&self, _: &Connections) -> usize {
        self.children.reap(Reap::Exited);
        self.children.signal_all(libc::SIGTERM, true)
    }

    /// The children whose client has sent something end their reads at once; those whose
    /// client is still silent are left for the grace (see `Children::signal_talkers`).
    fn close_talking_connections(&self, _: &Connections) {
        self.children.reap(Reap::Exited);
        self.children.signal_talkers();
    }

    /// Past a graceful stop's deadline: the children left are killed.
    fn abort_connections(&self, _: &Connections) {
        self.children.signal_all(libc::SIGKILL, false);
    }

    fn wait_idle(&self, deadline: Option<Instant>) -> bool {
        match deadline {
            Some(deadline) => self.children.wait_all(deadline),
            None => {
                self.children.reap(Reap::All);
                true
            }
        }
    }

    fn in_progress(&self) -> usize {
        self.children.len()
    }

    fn detach(&mut self) {
        self.block_on_close = false;
    }
}

impl Drop for Forking {
    /// What closing waits for: every child, with `block_on_close`; otherwise only those
    /// that have exited are reaped.
    fn drop(&mut self) {
        let how = if self.block_on_close {
            Reap::All
        } else {
            Reap::Exited
        };
        self.children.reap(how);
    }
}

impl std::fmt::Debug for Forking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forking")
            .field("active_children", &self.children.len())
            .field("max_children", &self.max_children)
            .field("block_on_close", &self.block_on_close)
            .finish()
    }
}
