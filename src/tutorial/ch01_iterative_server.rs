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
//! `bind` never leaks a socket when it fails.
