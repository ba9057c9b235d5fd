//! # 6. A process per client: `multiprocessing` and `ForkingMixIn`
//!
//! Lecture 001's `multiprocess_TCP_server.py` starts a process per client:
//!
//! ```python
//! from multiprocessing import Process
//!
//! while True:
//!     c_sock, r_addr = sock.accept()
//!     p1 = Process(target=handle, args=(c_sock,))
//!     p1.start()
//!     p1.join()
//! ```
//!
//! The `p1.join()` right after `start()` waits for the child to finish before the next
//! `accept`, so this server serves one client at a time: a process per client, but no
//! concurrency. Python's `socketserver.ForkingMixIn` does it right, and so does
//! [`Forking`](crate::Forking) (Unix only): the parent forks, closes its copy of the
//! connection at once, and goes back to accepting; the child serves the client and exits;
//! finished children are reaped on every turn of the loop.
//!
//! Exercise 12-6 answers `Hello` with `Hello Client` and `Good` with `Good Afternoon`:
//!
//! ```
//! use socketserver::{ForkingTcpServer, StreamRequest};
//! use std::io::{BufRead, BufReader, Write};
//!
//! fn greet(req: &mut StreamRequest) -> std::io::Result<()> {
//!     let mut line = String::new();
//!     while req.rfile.read_line(&mut line)? > 0 {
//!         let reply = match line.trim_end() {
//!             "Hello" => "Hello Client\n".to_owned(),
//!             "Good" => "Good Afternoon\n".to_owned(),
//!             _ => line.clone(),
//!         };
//!         req.wfile.write_all(reply.as_bytes())?;
//!         line.clear();
//!     }
//!     Ok(())
//! }
//!
//! let server = ForkingTcpServer::bind("127.0.0.1:0", || greet)?;
//! // This doc-test is a process with one thread: the client and the server take turns.
//! let mut client = std::net::TcpStream::connect(server.local_addr()?)?;
//! server.handle_request()?; // forks a child for this client
//! client.write_all(b"Hello\nGood\n")?;
//! client.shutdown(std::net::Shutdown::Write)?;
//! let replies: Vec<String> = BufReader::new(client).lines().collect::<Result<_, _>>()?;
//! assert_eq!(replies, ["Hello Client", "Good Afternoon"]);
//! server.server_close(); // waits for the child to exit
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! Two rules come with processes:
//!
//! - **No shared memory.** A child gets a copy of the parent's memory; what a handler
//!   changes stays in its child. Share through files, pipes or a database, not through the
//!   factory's captures.
//! - **Fork from a process with one thread.** A child has only the thread that forked; a
//!   lock another thread held at that moment (the allocator's, a logger's) stays locked
//!   in the child forever. So a forking server runs in a process without other threads:
//!   [`stop_on_signals`](crate::ServerBuilder::stop_on_signals) starts none (its signal
//!   handler writes once to the serving loop's wake-up descriptor), and the crate's
//!   forking tests run in test binaries of their own, one test at a time.
//!
//! To stop gracefully, [`close_connections`](crate::Server::close_connections) asks every
//! child to end its request: the child's connection stops reading, so a handler waiting
//! on an idle client sees end-of-file, while a reply being written still goes out. Then
//! closing the server waits for the children. [`run`](crate::Server::run) does both after
//! `serve_forever`, and kills a child that is still running at the drain timeout.
