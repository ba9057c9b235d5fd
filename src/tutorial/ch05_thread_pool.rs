//! # 5. A thread pool: `concurrent.futures`
//!
//! A thread per client costs a thread start per connection and has no upper bound.
//! Lecture 001's `future_socket_server.py` hands connections to a fixed pool instead:
//!
//! ```python
//! import concurrent.futures as cf
//! from socket import *
//!
//! def receive_message(sock, addr):
//!     while True:
//!         data = sock.recv(1024)
//!         if not data:
//!             break
//!         sock.sendall(data)
//!     sock.close()
//!
//! s = socket(AF_INET, SOCK_STREAM)
//! s.bind(("", 2500))
//! s.listen(5)
//! with cf.ThreadPoolExecutor(max_workers=10) as pool:
//!     while True:
//!         c, addr = s.accept()
//!         pool.submit(receive_message, c, addr)
//! ```
//!
//! Here the pool is one more mode, [`Pool`](crate::Pool), read exactly like
//! `Threading`: change the word, keep the handler; its size is an option of its builder.
//! With two workers, a third client waits until one of the first two leaves:
//!
//! ```
//! use socketserver::{PoolTcpServer, StreamRequest};
//! use std::io::{BufRead, BufReader, Write};
//! use std::net::TcpStream;
//!
//! fn echo(req: &mut StreamRequest) -> std::io::Result<()> {
//!     let mut line = Vec::new();
//!     while req.rfile.read_until(b'\n', &mut line)? > 0 {
//!         req.wfile.write_all(&line)?;
//!         line.clear();
//!     }
//!     Ok(())
//! }
//!
//! fn ask(client: &mut TcpStream, text: &str) -> std::io::Result<String> {
//!     client.write_all(text.as_bytes())?;
//!     let mut reply = String::new();
//!     BufReader::new(&*client).read_line(&mut reply)?;
//!     Ok(reply)
//! }
//!
//! let server = PoolTcpServer::builder()
//!     .max_workers(2)
//!     .bind("127.0.0.1:0", || echo)?;
//! let addr = server.local_addr()?;
//! let stop = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.serve_forever());
//!
//! let mut first = TcpStream::connect(addr)?;
//! let mut second = TcpStream::connect(addr)?;
//! assert_eq!(ask(&mut first, "1\n")?, "1\n"); // both workers are now busy
//! assert_eq!(ask(&mut second, "2\n")?, "2\n");
//! let mut third = TcpStream::connect(addr)?; // accepted later: it waits its turn
//! third.write_all(b"3\n")?;
//! drop(first); // a worker frees up and takes the third client
//! let mut reply = String::new();
//! BufReader::new(&third).read_line(&mut reply)?;
//! assert_eq!(reply, "3\n");
//!
//! drop((second, third));
//! stop.shutdown();
//! serving.join().unwrap()?;
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! What the pool promises, and the docs of [`Pool`](crate::Pool) spell out:
//!
//! - At most `max_workers` handlers run at once (default 10, as in the lecture).
//! - Up to `max_queued` accepted requests wait for a worker; past that the server stops
//!   accepting and the listen backlog holds new clients. Nothing is dropped.
//! - A panicking handler is reported through `handle_error` and costs no worker.
//! - Datagram servers run each datagram on a worker too, instead of a thread each.
//!
//! A pool suits many short requests. A client that stays connected holds its worker for
//! as long as it stays, so for many long-lived, mostly idle connections prefer
//! `Threading` or the event-driven server of chapter 8.
