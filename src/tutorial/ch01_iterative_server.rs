//! # 1. Iterative server: one client at a time
//!
//! Lecture 003's first server accepts a connection, greets the client, closes, and only
//! then accepts the next one:
//!
//! ```python
//! from socket import *
//! s = socket(AF_INET, SOCK_STREAM)
//! s.bind(("", 2500))
//! s.listen(5)
//! while True:
//!     client, addr = s.accept()
//!     client.send(b"Server Saying Hi\n")
//!     client.close()
//! ```
//!
//! With this crate the loop, `bind`, `listen` and `close` belong to the server; you write
//! what happens for one client. A closure is enough for a handler this small; the server
//! calls the factory (the outer closure) once per connection:
//!
//! ```
//! use socketserver::{StreamRequest, TcpServer};
//! use std::io::{Read, Write};
//!
//! let server = TcpServer::bind("127.0.0.1:0", || {
//!     |req: &mut StreamRequest| req.wfile.write_all(b"Server Saying Hi\n")
//! })?;
//! let addr = server.local_addr()?; // port 0: the system picked a free port
//!
//! // A client, as `TCP_client.py` would be.
//! let client = std::thread::spawn(move || -> std::io::Result<String> {
//!     let mut greeting = String::new();
//!     std::net::TcpStream::connect(addr)?.read_to_string(&mut greeting)?;
//!     Ok(greeting)
//! });
//!
//! server.handle_request()?; // one turn of Python's `while True`
//! assert_eq!(client.join().unwrap()?, "Server Saying Hi\n");
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! `handle_request` serves exactly one client; `serve_forever` loops until a
//! [`ShutdownHandle`](crate::ShutdownHandle) stops it. Either way the server handles one
//! client at a time: while it talks to one, the others wait in the listen backlog. That is
//! fine for a greeting and wrong for a conversation, which is the next chapter.
//!
//! Dropping the server closes its socket, as `with socketserver.TCPServer(...)` does, and
//! `bind` never leaks a socket when it fails. A failure says what and where:
//! `cannot bind 127.0.0.1:2500: address already in use`.
//!
//! ## Stopping with Ctrl-C
//!
//! A Python server stops on Ctrl-C because `serve_forever` raises `KeyboardInterrupt`:
//!
//! ```python
//! with socketserver.TCPServer(("", 2500), Handler) as server:
//!     try:
//!         server.serve_forever()
//!     except KeyboardInterrupt:
//!         pass
//! ```
//!
//! Here the builder's [`stop_on_signals`](crate::ServerBuilder::stop_on_signals) makes
//! SIGINT (Ctrl-C) and SIGTERM stop the server, and [`run`](crate::Server::run) is
//! `serve_forever` followed by a graceful stop: no new clients (those already waiting
//! in the backlog are still served), requests in progress finish, idle connections end, and it returns within the drain timeout (2 s by
//! default) even when clients stay connected. This is the whole of a real server's
//! `main`:
//!
//! ```no_run
//! use socketserver::{StreamRequest, TcpServer};
//! use std::io::Write;
//!
//! fn main() -> socketserver::Result<()> {
//!     let server = TcpServer::builder()
//!         .stop_on_signals(true) // before the line below: a signal right after it counts
//!         .bind("127.0.0.1:2500", || {
//!             |req: &mut StreamRequest| req.wfile.write_all(b"Server Saying Hi\n")
//!         })?;
//!     println!("listening on {}", server.local_addr()?);
//!     server.run() // until Ctrl-C, then a graceful stop
//! }
//! ```
//!
//! And the same, tested: a signal sent to the process stops it.
//!
//! ```
//! use socketserver::{StreamRequest, TcpServer};
//!
//! let server = TcpServer::builder()
//!     .stop_on_signals(true)
//!     .bind("127.0.0.1:0", || |_: &mut StreamRequest| Ok(()))?;
//! // SAFETY: raise has no preconditions; the server's handler takes SIGTERM.
//! unsafe { libc::raise(libc::SIGTERM) };
//! server.run()?; // the signal has already asked it to stop: returns at once
//! # Ok::<(), socketserver::Error>(())
//! ```
