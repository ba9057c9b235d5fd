//! Python's `socketserver`, for Rust.
//!
//! Write a handler in a few lines, pick a concurrency model with one word:
//!
//! ```
//! use socketserver::{StreamHandler, StreamRequest, ThreadingTcpServer};
//! use std::io::{BufRead, Write};
//!
//! struct Echo;
//! impl StreamHandler for Echo {
//!     fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
//!         let mut line = String::new();
//!         while req.rfile.read_line(&mut line)? > 0 {
//!             req.wfile.write_all(line.as_bytes())?;
//!             line.clear();
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # fn main() -> socketserver::Result<()> {
//! let server = ThreadingTcpServer::bind("127.0.0.1:0", || Echo)?;
//! println!("listening on {}", server.local_addr()?);
//! # let handle = server.shutdown_handle();
//! # let serving = std::thread::spawn(move || server.serve_forever());
//! # handle.shutdown();
//! # serving.join().unwrap()?;
//! # Ok(())
//! # }
//! ```
//!
//! # Map from Python
//!
//! | Python `socketserver` | this crate |
//! | --- | --- |
//! | `BaseServer` | [`BaseServer`] |
//! | `TCPServer`, `UDPServer` | [`TcpServer`], [`UdpServer`] |
//! | `UnixStreamServer`, `UnixDatagramServer` | [`UnixStreamServer`], [`UnixDatagramServer`] |
//! | `ThreadingMixIn`, `ThreadingTCPServer`, ... | [`Threading`], [`ThreadingTcpServer`], ... |
//! | `ThreadPoolExecutor(max_workers=10)` serving sockets | [`Pool`], [`PoolTcpServer`], ... |
//! | `ForkingMixIn`, `ForkingTCPServer`, ... | [`Forking`], [`ForkingTcpServer`], ... (Unix) |
//! | `BaseRequestHandler` | [`RequestHandler`] |
//! | `StreamRequestHandler` (`rfile`, `wfile`) | [`StreamHandler`] with [`StreamRequest`] |
//! | `DatagramRequestHandler` | [`DatagramHandler`] with [`DatagramRequest`] |
//! | `server.shutdown()` | [`ShutdownHandle::shutdown`] (wakes the loop at once) |
//! | `bind_and_activate=False`, class attributes | [`ServerBuilder`] |
//! | overriding `verify_request`, `handle_error`, ... | closures on [`ServerBuilder`] |
//! | `http.server.HTTPServer`, `ThreadingHTTPServer` | `http::HttpServer`, `http::ThreadingHttpServer` |
//! | `http.server.BaseHTTPRequestHandler` (`do_GET`, `send_response`, ...) | `http::HttpHandler` |
//! | the lectures' `select` + `queue` loop (no socketserver class) | [`EventLoopTcpServer`] with an [`EventHandler`] ([`event`]) |
//!
//! New to all this? The [`tutorial`] walks through the Python lectures chapter by chapter.
//!
//! # What is different from Python, on purpose
//!
//! - `shutdown` wakes the loop at once instead of waiting up to `poll_interval`, and
//!   never deadlocks (from a handler, or with no loop running).
//! - A handler's panic is caught and reported through `handle_error`; the server goes on.
//! - Out of file descriptors, the server backs off instead of spinning.
//! - A datagram over `max_packet_size` is reported, not silently truncated, and an empty
//!   `wfile` sends no empty datagram.
//! - [`Threading::max_threads`] bounds the threads; the default backlog is `SOMAXCONN`.
//! - [`Pool`] bounds its workers and its queue; past the queue the server stops accepting
//!   and the listen backlog holds new clients, so none is dropped.
//! - [`Forking`] reaps its children by pid only (Python's `waitpid(-1)` at the limit can
//!   steal the exit status of the application's own children), frees a finished child's
//!   slot at once, and its children close their copy of the listening socket.
//! - Shared state goes in the handler factory's captures (an `Arc`), not in globals.

#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![doc(test(attr(deny(warnings))))]

mod address;
mod error;
pub mod event;
pub mod handler;
#[cfg(feature = "http")]
pub mod http;
pub mod mixin;
pub mod server;
mod sys;
pub mod tutorial;

pub use address::Address;
pub use error::{Error, Result};
pub use event::{EventHandler, EventLoopTcpServer};
pub use handler::{
    Connection, DatagramHandler, DatagramRequest, RequestHandler, StreamHandler, StreamRequest,
};
#[cfg(unix)]
pub use mixin::forking::{
    ForkingTcpServer, ForkingUdpServer, ForkingUnixDatagramServer, ForkingUnixStreamServer,
};
pub use mixin::pool::{PoolTcpServer, PoolUdpServer};
#[cfg(unix)]
pub use mixin::pool::{PoolUnixDatagramServer, PoolUnixStreamServer};
pub use mixin::threading::{ThreadingTcpServer, ThreadingUdpServer};
#[cfg(unix)]
pub use mixin::threading::{ThreadingUnixDatagramServer, ThreadingUnixStreamServer};
#[cfg(unix)]
pub use mixin::Forking;
pub use mixin::{Pool, Threading};
pub use server::{
    BaseServer, Serve, ServerBuilder, ServerInfo, ShutdownHandle, TcpServer, UdpServer,
};
#[cfg(unix)]
pub use server::{UnixDatagramServer, UnixStreamServer};
