//! # 2. A thread per client
//!
//! Lecture 001 serves many clients at once by starting a thread per connection:
//!
//! ```python
//! import socket, threading
//!
//! class ClientThread(threading.Thread):
//!     def __init__(self, addr, sock):
//!         threading.Thread.__init__(self)
//!         self.csocket, self.addr = sock, addr
//!     def run(self):
//!         while True:
//!             data = self.csocket.recv(2048)
//!             if data.decode() == "quit":
//!                 break
//!             self.csocket.send(data)
//!
//! server = socket.socket()
//! server.bind(("", 2500))
//! server.listen(5)
//! while True:
//!     sock, addr = server.accept()
//!     ClientThread(addr, sock).start()
//! ```
//!
//! and lecture 002 says the same with `socketserver.ThreadingTCPServer`. Here the thread
//! per client is one word: [`ThreadingTcpServer`](crate::ThreadingTcpServer) instead of
//! `TcpServer` (the [`Threading`](crate::Threading) mode instead of the iterative one);
//! the handler does not change:
//!
//! ```
//! use socketserver::{StreamHandler, StreamRequest, ThreadingTcpServer};
//! use std::io::{BufRead, BufReader, Write};
//!
//! struct Echo;
//! impl StreamHandler for Echo {
//!     fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
//!         let mut line = Vec::new();
//!         while req.rfile.read_until(b'\n', &mut line)? > 0 {
//!             if line.trim_ascii_end() == b"quit" {
//!                 break;
//!             }
//!             req.wfile.write_all(&line)?;
//!             line.clear();
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let server = ThreadingTcpServer::bind("127.0.0.1:0", || Echo)?;
//! let addr = server.local_addr()?;
//! let stop = server.shutdown_handle();
//! // Serve until stopped, then end the idle clients' handlers and wait for the rest.
//! let serving = std::thread::spawn(move || server.run());
//!
//! // Two clients at once: each gets its own thread.
//! let mut a = std::net::TcpStream::connect(addr)?;
//! let mut b = std::net::TcpStream::connect(addr)?;
//! for (client, text) in [(&mut a, "from a\n"), (&mut b, "from b\n")] {
//!     client.write_all(text.as_bytes())?;
//!     let mut reply = String::new();
//!     BufReader::new(&*client).read_line(&mut reply)?;
//!     assert_eq!(reply, text);
//! }
//!
//! stop.shutdown(); // wakes the loop at once, from any thread; a and b are still connected
//! serving.join().unwrap()?;
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! Reading lines rather than `recv(2048)` chunks fixes a lecture bug: TCP is a byte
//! stream, so one `recv` may return half a message or two, and `quit` split across two
//! reads would never match.
//!
//! What Python's `ThreadingMixIn` does not do, and `Threading` does:
//!
//! - [`max_threads`](crate::ServerBuilder::max_threads) bounds the threads (Python starts
//!   1,000 threads for 1,000 clients); at the limit the server stops accepting and the
//!   listen backlog holds the rest. Like every option, it is set on the builder:
//!
//! ```
//! use socketserver::{StreamRequest, ThreadingTcpServer};
//!
//! let server = ThreadingTcpServer::builder()
//!     .max_threads(Some(100))
//!     .daemon_threads(false) // Python's default: closing waits for the handlers
//!     .bind("127.0.0.1:0", || |_: &mut StreamRequest| Ok(()))?;
//! assert_eq!(server.active_threads(), 0);
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! - A handler that panics is reported through `handle_error`; the server keeps serving.
//! - [`run`](crate::Server::run) (or [`close_gracefully`](crate::Server::close_gracefully)
//!   after `serve_forever`) ends idle clients' handlers, so a server stops promptly even
//!   when clients stay connected; a client that does not read its reply is cut off at the
//!   drain timeout. Plain `drop`ping the server waits for every handler
//!   (`block_on_close`, as in Python), and a handler waits as long as its client stays
//!   connected.
