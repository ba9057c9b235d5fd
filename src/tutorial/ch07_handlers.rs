//! # 7. socketserver-style handlers: `setup`, `handle`, `finish`
//!
//! Lecture 002 introduces `socketserver`'s handler classes: the server makes one handler
//! object per request and calls `setup()`, `handle()` and `finish()`;
//! `StreamRequestHandler` gives `rfile` and `wfile`, and the server's methods
//! (`verify_request`, `handle_error`, ...) can be overridden in a subclass.
//!
//! ```python
//! class Reverse(socketserver.StreamRequestHandler):
//!     def setup(self):
//!         super().setup()
//!         self.count = 0
//!     def handle(self):
//!         for line in self.rfile:
//!             self.count += 1
//!             self.wfile.write(line.decode().rstrip("\n")[::-1].encode() + b"\n")
//!     def finish(self):
//!         print(self.client_address, "sent", self.count, "lines")
//!         super().finish()
//!
//! class Server(socketserver.ThreadingTCPServer):
//!     def verify_request(self, request, client_address):
//!         return client_address[0] == "127.0.0.1"
//! ```
//!
//! A Rust handler is a struct (one value per request) implementing
//! [`StreamHandler`](crate::StreamHandler). What Python's server subclass overrides is the
//! factory's: a type implementing [`HandlerFactory`](crate::HandlerFactory) makes the
//! handlers (Python's `RequestHandlerClass`) and has the server's hooks as methods, with
//! whatever state they need in its fields. (A closure `|| handler` is a factory whose
//! hooks are the defaults.)
//!
//! ```
//! use socketserver::{Address, Error, HandlerFactory, StreamHandler, StreamRequest};
//! use socketserver::ThreadingTcpServer;
//! use std::io::{self, BufRead, BufReader, Write};
//!
//! #[derive(Default)]
//! struct Reverse {
//!     count: usize,
//! }
//!
//! impl StreamHandler for Reverse {
//!     fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
//!         let mut line = String::new();
//!         while req.rfile.read_line(&mut line)? > 0 {
//!             self.count += 1;
//!             let reversed: String = line.trim_end_matches('\n').chars().rev().collect();
//!             writeln!(req.wfile, "{reversed}")?;
//!             line.clear();
//!         }
//!         Ok(())
//!     }
//!
//!     // Runs even when `handle` failed, as Python's `finally: self.finish()`.
//!     fn finish(&mut self, req: &mut StreamRequest) -> io::Result<()> {
//!         log::info!("{} sent {} lines", req.client_address, self.count);
//!         Ok(())
//!     }
//! }
//!
//! /// Python's `class Server(socketserver.ThreadingTCPServer)` with its overrides.
//! struct LocalReverse;
//!
//! impl HandlerFactory for LocalReverse {
//!     type Handler = Reverse;
//!
//!     fn make_handler(&self) -> Reverse {
//!         Reverse::default()
//!     }
//!
//!     fn verify_request(&self, client: &Address) -> bool {
//!         client.as_inet().is_some_and(|a| a.ip().is_loopback())
//!     }
//!
//!     fn handle_error(&self, client: &Address, err: &Error) {
//!         log::warn!("{client}: {err}");
//!     }
//! }
//!
//! let server = ThreadingTcpServer::bind("127.0.0.1:0", LocalReverse)?;
//! let addr = server.local_addr()?;
//! let stop = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.run());
//!
//! let mut client = std::net::TcpStream::connect(addr)?;
//! client.write_all("Hello World!!!\n".as_bytes())?;
//! let mut reply = String::new();
//! BufReader::new(&client).read_line(&mut reply)?;
//! assert_eq!(reply, "!!!dlroW olleH\n");
//! drop(client);
//!
//! stop.shutdown();
//! serving.join().unwrap()?;
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! | Python | Rust |
//! | --- | --- |
//! | `self.request` | [`req.connection()`](crate::StreamRequest::connection) |
//! | `self.client_address` | `req.client_address` |
//! | `self.server` | [`req.server()`](crate::StreamRequest::server): address, shutdown handle |
//! | `self.rfile` / `self.wfile` | `req.rfile` (`BufRead`) / `req.wfile` (`Write`) |
//! | `rbufsize`, `wbufsize`, `timeout`, `disable_nagle_algorithm` | [`ServerBuilder`](crate::ServerBuilder) options |
//! | an exception in `handle` | an `Err` (or a panic): `finish` still runs, `handle_error` hears of it |
//!
//! `wfile` collects what the handler writes and sends it when the handler next reads
//! from `rfile`, returns, flushes, or has written more than
//! [`wbufsize`](crate::ServerBuilder::wbufsize) (8 KiB): a reply needs no flush, and
//! `writeln!(req.wfile, "{reversed}")`, which `fmt` writes in pieces, still costs one
//! send. A handler that writes and then waits for something other than its client (a
//! timer, another thread) calls `req.wfile.flush()` first. `wbufsize(0)` sends every
//! write at once, as Python's default `wbufsize = 0` does.
