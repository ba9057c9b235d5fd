//! Event-driven servers: one thread serves every client (the `select` lectures).
//!
//! The other servers of this crate give each client a thread (or a process) that blocks in
//! `read` until the client speaks. [`EventLoopTcpServer`] gives every client to *one*
//! thread, which asks the kernel which sockets are ready and only ever does I/O that
//! cannot block. This is the lecture's `select` server, done so that it holds ten thousand
//! connections on a small machine.
//!
//! # The lecture's server: `select` and a queue per socket
//!
//! Lecture 002 builds an echo server from `select.select()` and one `queue.Queue` per
//! client: what a client sends is put in its queue, and sent back when `select` says its
//! socket is writable.
//!
//! ```python
//! import queue, select, socket
//!
//! server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//! server.setblocking(False)
//! server.bind(('127.0.0.1', 2500))
//! server.listen(5)
//! r_sock = [server]      # sockets to read from
//! w_sock = []            # sockets with something to send
//! msgQueue = {}          # socket -> queue of data to send
//!
//! while r_sock:
//!     readable, writable, exceptional = select.select(r_sock, w_sock, r_sock)
//!     for s in readable:
//!         if s is server:                          # a client connects
//!             conn, addr = s.accept()
//!             conn.setblocking(False)
//!             r_sock.append(conn)
//!             msgQueue[conn] = queue.Queue()
//!         else:
//!             data = s.recv(1024)
//!             if data:                             # queue it, send it when writable
//!                 msgQueue[s].put(data)
//!                 if s not in w_sock:
//!                     w_sock.append(s)
//!             else:                                # the client closed
//!                 if s in w_sock:
//!                     w_sock.remove(s)
//!                 r_sock.remove(s)
//!                 s.close()
//!                 del msgQueue[s]
//!     for s in writable:
//!         try:
//!             next_msg = msgQueue[s].get_nowait()
//!         except queue.Empty:
//!             w_sock.remove(s)                     # nothing left: stop asking
//!         else:
//!             s.send(next_msg)
//!     for s in exceptional:
//!         r_sock.remove(s)
//!         if s in w_sock:
//!             w_sock.remove(s)
//!         s.close()
//!         del msgQueue[s]
//! ```
//!
//! # The same server here
//!
//! The loop, the socket lists and the queues are the server's job; what is left is what
//! the server does with a line. The `quit` line closes the connection, as in the crate's
//! other echo servers. (`examples/select_echo_server.rs` echoes bytes as they arrive
//! instead, as the lecture does with each `recv`, so that a line of any length costs it
//! no memory.)
//!
//! ```
//! use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
//! use std::io::{self, BufRead, BufReader, Write};
//! use std::net::TcpStream;
//!
//! struct Echo;
//!
//! impl EventHandler for Echo {
//!     fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
//!         if line.trim_ascii_end() == b"quit" {
//!             ctx.close();
//!         } else {
//!             ctx.send(line); // queued; written when the socket can take it
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # fn main() -> socketserver::Result<()> {
//! let server = EventLoopTcpServer::bind("127.0.0.1:0", || Echo)?;
//! let addr = server.local_addr()?;
//! let handle = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.serve_forever());
//!
//! // Two clients at once, served by that one thread.
//! let mut alice = TcpStream::connect(addr)?;
//! let mut bob = TcpStream::connect(addr)?;
//! alice.write_all(b"hello from alice\r\n")?;
//! bob.write_all(b"hello from bob\n")?;
//! let mut reply = String::new();
//! BufReader::new(&bob).read_line(&mut reply)?;
//! assert_eq!(reply, "hello from bob\n");
//! reply.clear();
//! BufReader::new(&alice).read_line(&mut reply)?;
//! assert_eq!(reply, "hello from alice\r\n");
//!
//! alice.write_all(b"quit\n")?;
//! reply.clear();
//! assert_eq!(BufReader::new(&alice).read_line(&mut reply)?, 0); // closed
//!
//! handle.shutdown(); // wakes the loop at once
//! serving.join().unwrap()?;
//! # Ok(())
//! # }
//! ```
//!
//! | the lecture | here |
//! | --- | --- |
//! | `r_sock`, `select.select()` | sockets registered with the kernel's poller (epoll, kqueue) through mio, once; a wait returns only the ready ones |
//! | `w_sock` | the loop knows when a socket stopped taking data and is told when it takes more |
//! | `msgQueue[s]`, `put` | each connection's write queue; [`Context::send`] |
//! | `s.recv(1024)` | one 64 KiB read buffer for the whole loop, handed to [`EventHandler::on_data`] |
//! | a message | a line: [`EventHandler::on_line`] (or your own framing with [`LineBuffer`]) |
//! | `exceptional` | errors go to `handle_error` and close that connection only |
//! | `s.close()`, `del msgQueue[s]` | [`Context::close`] after the queue is written; [`EventHandler::on_close`] |
//!
//! What the server does that the lecture's loop does not:
//!
//! - **Partial writes.** `s.send(next_msg)` may send only part of the message; the rest is
//!   lost. Here what the socket did not take stays at the head of the queue.
//! - **Messages are not reads.** `recv(1024)` returns whatever arrived: half a line, or
//!   three. The line framing gives whole lines however the bytes were cut.
//! - **Bounded memory.** A client that sends fast and never reads makes Python's queue
//!   grow without limit. Here reading from a connection stops while its queue holds
//!   [`output_limit`](crate::ServerBuilder::output_limit) bytes, until the client catches up:
//!   backpressure, the way TCP itself does it.
//! - **No O(n) scans, no 1024 limit.** `select()` copies and scans every watched socket on
//!   every call and cannot watch descriptors numbered 1024 or above. The poller keeps the
//!   set in the kernel and returns only the ready sockets.
//! - **Fairness.** A connection gets a few reads per turn; one that keeps sending cannot
//!   starve the rest.
//! - **Lifecycle.** [`ShutdownHandle`](crate::ShutdownHandle) wakes the loop at once, a
//!   panicking handler closes its connection only, idle connections time out
//!   ([`idle_timeout`](crate::ServerBuilder::idle_timeout)), and
//!   [`max_connections`](crate::ServerBuilder::max_connections) bounds the table.
//!
//! # Why one thread can serve thousands of clients
//!
//! A thread blocked in `read` waits for one client. With ten thousand clients that is ten
//! thousand stacks, kernel tasks and context switches, most of them for clients that are
//! silent. Lecture 003's *ideal server model* asks for the opposite: block as little as
//! possible, overlap I/O with other work, keep threads and processes few, use little CPU
//! and memory.
//!
//! An event loop gets there because a connection that is not doing anything costs only
//! the memory that describes it. Here that is one entry in a table (the socket, an empty
//! write queue, flags: about 150 bytes) and the kernel's socket; there is no stack, no
//! read buffer (the loop has one, shared), and no thread to wake. Waiting costs nothing
//! either: the thread sleeps in `epoll_wait` until some socket is ready, and the kernel
//! reports the ready ones without looking at the others.
//!
//! Measured with `cargo run --release --example event_loop_hold` (10,000 connections held
//! by a server in a child process, each doing echo round trips), the server's resident
//! memory grows by about 150 bytes per held connection (tokio needs about 9 KiB, Python's
//! asyncio about 5 KiB: a read buffer per connection is what costs), and all ten thousand
//! are served by one thread.
//!
//! The price: a callback that blocks or computes for long holds up every client. Keep
//! callbacks short; for work that blocks, use the threading servers.
//!
//! # Several loops, for several cores
//!
//! One loop uses one core. [`loops(n)`](crate::ServerBuilder::loops) runs `n` of them in
//! one process, each on its own thread with its own poller, connections and
//! `SO_REUSEPORT` listening socket on the server's port; the kernel spreads new
//! connections over them (evenly: see `loops.rs` for the measurement that chose this over
//! one shared listener with `EPOLLEXCLUSIVE`). One shutdown handle stops every loop, a
//! graceful stop drains them all at once, and TLS and the PROXY protocol work on each.
//! A connection stays on its loop, so [`Context::broadcast`] reaches that loop's
//! connections only: a chat keeps one loop.
//!
//! ```
//! use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
//! use std::io::{BufRead, BufReader, Write};
//!
//! struct Echo;
//! impl EventHandler for Echo {
//!     fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> std::io::Result<()> {
//!         ctx.send(line);
//!         Ok(())
//!     }
//! }
//!
//! let server = EventLoopTcpServer::builder()
//!     .loops(2)
//!     .bind("127.0.0.1:0", || Echo)?;
//! let addr = server.local_addr()?;
//! let handle = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.run()); // two loops serve
//!
//! let mut client = std::net::TcpStream::connect(addr)?;
//! client.write_all(b"hello\n")?;
//! let mut reply = String::new();
//! BufReader::new(&client).read_line(&mut reply)?;
//! assert_eq!(reply, "hello\n");
//!
//! handle.shutdown(); // stops both loops
//! serving.join().unwrap()?;
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! # Why mio
//!
//! The loop runs on [mio](https://docs.rs/mio) (epoll on Linux, kqueue on the BSDs and
//! macOS): its registration API is safe (the `polling` crate's is `unsafe`), its `Waker`
//! gives the shutdown handle an instant wake-up, it has the smallest dependency tree of
//! the mature choices, and the blocking servers' loop already uses it. mio does not appear
//! in this crate's public API.
//!
//! # The io_uring backend
//!
//! With epoll a round trip costs two system calls (a `recv` and a `send`) and a share of an
//! `epoll_wait`: the floor for any readiness loop, tokio's included. On Linux, with the
//! `io-uring` feature, [`backend(Backend::IoUring)`](crate::ServerBuilder::backend) (or
//! `SOCKETSERVER_BACKEND=io_uring`) has the kernel do the receives (into a ring of
//! buffers registered with it) and the sends, and the loop makes one `io_uring_enter` per
//! turn for all connections. Measured with `strace -c -f` on a 16-connection, 64-byte echo
//! (48,000 round trips): 0.09 system calls per round trip, against 2.07 on epoll. The
//! handlers, their callbacks and the options are the same. Where the kernel refuses
//! io_uring (an old kernel, a seccomp profile, `kernel.io_uring_disabled`) the server logs
//! one warning and runs on epoll. With several [`loops`](crate::ServerBuilder::loops)
//! the loops serve on epoll for now (a worker loop drains on another thread than the one
//! that served, and the kernel cancels an exited thread's io_uring requests).

mod config;
mod connection;
mod context;
mod event_loop;
mod handler;
mod io;
mod lifecycle;
mod lines;
mod loops;
mod mode;
mod proxy;
mod server;
mod stats;
mod table;
#[cfg(feature = "tls")]
mod tls;
#[cfg_attr(not(feature = "io-uring"), path = "uring_off.rs")]
mod uring;
mod write_queue;

pub use config::{Backend, DEFAULT_MAX_LINE_LENGTH, DEFAULT_OUTPUT_LIMIT};
pub use context::{ConnectionId, Context};
pub use handler::EventHandler;
pub use lines::LineBuffer;
pub use mode::EventLoop;
pub use server::EventLoopTcpServer;
pub use stats::EventLoopStats;

// For the fuzz targets (`crate::fuzzing`), which drive the TLS state directly.
#[cfg(all(feature = "fuzzing", feature = "tls"))]
pub(crate) use {tls::EventTls, write_queue::WriteQueue};

#[cfg(test)]
mod backend_tests;
