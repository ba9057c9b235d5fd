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
//! let server = ThreadingTcpServer::builder()
//!     .stop_on_signals(true) // Ctrl-C and SIGTERM stop it gracefully
//!     .bind("127.0.0.1:0", || Echo)?;
//! println!("listening on {}", server.local_addr()?);
//! # server.shutdown_handle().request_shutdown();
//! server.run() // serve until stopped, then finish what is in progress
//! # }
//! ```
//!
//! # The map
//!
//! Every server is a [`Server<K, M, H>`](Server): a socket kind `K`, a mode `M` that
//! processes its requests, and the handler `H` its factory makes. The aliases name the
//! combinations, as Python's classes do:
//!
//! | kind \ mode | [`Iterative`] | [`Threading`] | [`Pool`] | [`Forking`] | [`EventLoop`](event::EventLoop) |
//! | --- | --- | --- | --- | --- | --- |
//! | [`Tcp`](server::Tcp) | [`TcpServer`] | [`ThreadingTcpServer`] | [`PoolTcpServer`] | [`ForkingTcpServer`] | [`EventLoopTcpServer`] |
//! | [`Udp`](server::Udp) | [`UdpServer`] | [`ThreadingUdpServer`] | [`PoolUdpServer`] | [`ForkingUdpServer`] | |
//! | [`Unix`](server::Unix) | [`UnixStreamServer`] | [`ThreadingUnixStreamServer`] | [`PoolUnixStreamServer`] | [`ForkingUnixStreamServer`] | |
//! | [`UnixDgram`](server::UnixDgram) | [`UnixDatagramServer`] | [`ThreadingUnixDatagramServer`] | [`PoolUnixDatagramServer`] | [`ForkingUnixDatagramServer`] | |
//! | `http::Http<Tcp>` (feature `http`) | `http::HttpServer` | `http::ThreadingHttpServer` | `http::PoolHttpServer` | `http::ForkingHttpServer` | [`EventLoopTcpServer`] with `http::HttpEvents` |
//!
//! - Configure: [`ServerBuilder`], from any server type's `builder()`: socket options,
//!   per-connection options, the mode's options, signals, socket activation, the drain
//!   timeout. It is the only way; nothing is set after binding.
//! - Customise: the handler traits. Per request, [`StreamHandler`] (with
//!   [`StreamRequest`]: `rfile` is a [`SocketReader`], `wfile` a [`SocketWriter`]),
//!   [`DatagramHandler`] (with [`DatagramRequest`] and its [`DatagramSocket`]),
//!   [`EventHandler`] (with [`event::Context`]), `http::HttpHandler` (on the event loop
//!   through `http::HttpEvents`); around requests,
//!   [`HandlerFactory`] (`verify_request`, `handle_error`, `service_actions`,
//!   `handle_timeout`), which any closure `|| handler` is.
//! - Run and stop: `serve_forever`, `handle_request`, [`ShutdownHandle`],
//!   `close_connections`, `close_gracefully`, `run`; the [`Serve`] trait for code that
//!   takes any server.
//! - Secure and deploy: `ServerBuilder::tls` with a `tls::TlsConfig` (feature `tls`, on by
//!   default: certificates, mutual TLS, rotation); [`ServerBuilder::proxy_protocol`] with a
//!   [`proxy::ProxyProtocol`] (the real client behind HAProxy or nginx). Both work in every
//!   mode and kind of stream server, the event loop and the HTTP layer included.
//! - Share a list of clients: [`clients::Clients`] (the chat lectures).
//! - Addresses and errors: [`Address`], [`Error`], [`Result`].
//!
//! | Python `socketserver` | this crate |
//! | --- | --- |
//! | `BaseServer` | [`Server`] (the lifecycle), [`Serve`] (for code that takes any server) |
//! | `TCPServer`, `UDPServer` | [`TcpServer`], [`UdpServer`] |
//! | `UnixStreamServer`, `UnixDatagramServer` | [`UnixStreamServer`], [`UnixDatagramServer`] |
//! | `ThreadingMixIn`, `ThreadingTCPServer`, ... | [`Threading`], [`ThreadingTcpServer`], ... |
//! | `ThreadPoolExecutor(max_workers=10)` serving sockets | [`Pool`], [`PoolTcpServer`], ... |
//! | `ForkingMixIn`, `ForkingTCPServer`, ... | [`Forking`], [`ForkingTcpServer`], ... |
//! | `BaseRequestHandler` | [`RequestHandler`] |
//! | `StreamRequestHandler` (`rfile`, `wfile`) | [`StreamHandler`] with [`StreamRequest`] |
//! | `DatagramRequestHandler` | [`DatagramHandler`] with [`DatagramRequest`] |
//! | `RequestHandlerClass`, and overriding `verify_request`, `handle_error`, ... | [`HandlerFactory`] (a closure is one) |
//! | `bind_and_activate=False`, class attributes | [`ServerBuilder`] |
//! | `server.shutdown()` | [`ShutdownHandle::shutdown`] (wakes the loop at once) |
//! | `except KeyboardInterrupt:` around `serve_forever()` | [`ServerBuilder::stop_on_signals`] and `run()` |
//! | `http.server.HTTPServer`, `ThreadingHTTPServer` | `http::HttpServer`, `http::ThreadingHttpServer` |
//! | `http.server.BaseHTTPRequestHandler` (`do_GET`, `send_response`, ...) | `http::HttpHandler` |
//! | the lectures' `select` + `queue` loop (no socketserver class) | [`EventLoopTcpServer`] with an [`EventHandler`] ([`event`]) |
//!
//! New to all this? The [`tutorial`] walks through the Python lectures chapter by chapter.
//!
//! # What is different from Python, on purpose
//!
//! - `shutdown` wakes the loop at once instead of waiting up to `poll_interval`, and
//!   never deadlocks (from a handler, or with no loop running). A signal handler can ask
//!   for it; `stop_on_signals` does, for SIGINT and SIGTERM.
//! - `close_gracefully` (and `run`) stop in bounded time: idle clients are ended, replies
//!   in progress go out, and a client that does not read cannot keep the server alive.
//!   Clients the kernel had already connected are served, not reset when the socket
//!   closes (Python's `server_close` resets them), so a balancer loses no request.
//! - A handler's panic is caught and reported through `handle_error`; the server goes on.
//!   Without a logger, `handle_error`'s default prints to stderr, as Python does.
//! - `wfile` collects a reply and sends it in one piece when the handler next reads or
//!   returns, so `write!` fragments do not each cost a send.
//! - Out of file descriptors, the server backs off instead of spinning.
//! - A datagram over `max_packet_size` is reported, not silently truncated, and an empty
//!   `wfile` sends no empty datagram.
//! - `max_threads` bounds the threads; the default backlog is `SOMAXCONN`; stream servers
//!   set `SO_REUSEADDR`, so a restarted server gets its port back at once.
//! - [`Pool`] bounds its workers and its queue; past the queue the server stops accepting
//!   and the listen backlog holds new clients, so none is dropped.
//! - [`Forking`] reaps its children by pid only (Python's `waitpid(-1)` at the limit can
//!   steal the exit status of the application's own children), frees a finished child's
//!   slot at once, and its children close their copy of the listening socket.
//! - Socket activation (`LISTEN_FDS`, [`ServerBuilder::socket_activation`]): several
//!   processes can serve one socket, and any of them can stop without refusing a client.
//! - Shared state goes in the handler factory (an `Arc`), not in globals.

#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![doc(test(attr(deny(warnings))))]

mod address;
pub mod clients;
mod error;
pub mod event;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod handler;
#[cfg(feature = "http")]
pub mod http;
pub mod mixin;
pub mod proxy;
pub mod server;
mod sys;
#[cfg(feature = "tls")]
pub mod tls;
pub mod tutorial;

pub use address::Address;
pub use error::{Error, Result};
pub use event::{Context, EventHandler, EventLoopTcpServer};
pub use handler::{
    default_handle_error, Connection, DatagramHandler, DatagramRequest, DatagramSocket,
    HandlerFactory, RequestHandler, SocketReader, SocketWriter, StreamHandler, StreamRequest,
};
pub use mixin::forking::{
    ForkingTcpServer, ForkingUdpServer, ForkingUnixDatagramServer, ForkingUnixStreamServer,
};
pub use mixin::pool::{PoolTcpServer, PoolUdpServer, PoolUnixDatagramServer, PoolUnixStreamServer};
pub use mixin::threading::{
    ThreadingTcpServer, ThreadingUdpServer, ThreadingUnixDatagramServer, ThreadingUnixStreamServer,
};
pub use mixin::{Forking, Pool, Threading};
pub use server::{
    Iterative, Mode, Serve, Server, ServerBuilder, ServerInfo, ShutdownHandle, TcpServer,
    UdpServer, UnixDatagramServer, UnixStreamServer,
};
