//! # 3. Shared state: the chat server
//!
//! Threads share memory, and lecture 003 shows what that costs in Python: two threads
//! adding and subtracting on a global `x` do not end at 0, because `x += 1` is a read, an
//! add and a write that another thread can interleave.
//!
//! ```python
//! x = 0
//! def foo():
//!     global x
//!     for i in range(100000000):
//!         x += 1
//! ```
//!
//! In Rust that program does not compile. A thread may outlive the variable it borrows,
//! and two threads cannot both hold `&mut x`:
//!
//! ```compile_fail,E0373
//! let mut x = 0;
//! let foo = std::thread::spawn(|| {
//!     for _ in 0..1000 {
//!         x += 1; // error: the closure may outlive `x`, which it borrows
//!     }
//! });
//! foo.join().unwrap();
//! ```
//!
//! Shared data has to say how it is shared: an atomic for a counter, a `Mutex` for
//! anything larger. Then the answer is always right:
//!
//! ```
//! use std::sync::atomic::{AtomicI64, Ordering};
//! use std::sync::Arc;
//!
//! let x = Arc::new(AtomicI64::new(0));
//! let (x1, x2) = (Arc::clone(&x), Arc::clone(&x));
//! let foo = std::thread::spawn(move || (0..100_000).for_each(|_| { x1.fetch_add(1, Ordering::Relaxed); }));
//! let bar = std::thread::spawn(move || (0..100_000).for_each(|_| { x2.fetch_sub(1, Ordering::Relaxed); }));
//! foo.join().unwrap();
//! bar.join().unwrap();
//! assert_eq!(x.load(Ordering::Relaxed), 0);
//! ```
//!
//! The chat server in lecture 001 (`threading_server.py`) keeps a global `connections`
//! list that the accept loop appends to while handler threads iterate over it and
//! remove from it, with no lock. Handing the same `Vec` to two threads is again a compile
//! error in Rust:
//!
//! ```compile_fail,E0382
//! let mut connections: Vec<std::net::TcpStream> = Vec::new();
//! std::thread::spawn(move || connections.clear()); // the handler thread takes the list
//! connections.len(); // error: the accept loop uses a list it gave away
//! ```
//!
//! With this crate the list lives in an `Arc<Mutex<..>>` that the handler factory
//! captures: every handler gets a clone of the `Arc`, and no globals are needed. Each
//! line a client sends goes to every other client:
//!
//! ```
//! use socketserver::{StreamRequest, ThreadingTcpServer};
//! use std::collections::HashMap;
//! use std::io::{BufRead, BufReader, Write};
//! use std::net::TcpStream;
//! use std::sync::{Arc, Mutex};
//!
//! type Clients = Arc<Mutex<HashMap<String, TcpStream>>>;
//!
//! fn chat(req: &mut StreamRequest, clients: &Clients) -> std::io::Result<()> {
//!     let me = req.client_address.to_string();
//!     let writer = req.connection().as_tcp().expect("a TCP server").try_clone()?;
//!     clients.lock().unwrap().insert(me.clone(), writer);
//!     let mut line = Vec::new();
//!     while req.rfile.read_until(b'\n', &mut line)? > 0 {
//!         // Iterate over a locked list: nobody adds or removes meanwhile.
//!         for (who, mut peer) in clients.lock().unwrap().iter() {
//!             if *who != me {
//!                 let _ = peer.write_all(&line); // a dead peer must not stop the relay
//!             }
//!         }
//!         line.clear();
//!     }
//!     clients.lock().unwrap().remove(&me);
//!     Ok(())
//! }
//!
//! let clients = Clients::default();
//! let shared = Arc::clone(&clients);
//! let server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
//!     let clients = Arc::clone(&shared);
//!     move |req: &mut StreamRequest| chat(req, &clients)
//! })?;
//! let addr = server.local_addr()?;
//! let stop = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.serve_forever());
//!
//! let mut alice = TcpStream::connect(addr)?;
//! let bob = TcpStream::connect(addr)?;
//! while clients.lock().unwrap().len() < 2 {
//!     std::thread::yield_now(); // until both handlers have joined the list
//! }
//! alice.write_all(b"alice: hi bob\n")?;
//! let mut heard = String::new();
//! BufReader::new(&bob).read_line(&mut heard)?;
//! assert_eq!(heard, "alice: hi bob\n");
//!
//! drop((alice, bob)); // their handlers see end-of-file and leave the list
//! stop.shutdown();
//! serving.join().unwrap()?; // the server, dropped there, waited for both handlers
//! assert!(clients.lock().unwrap().is_empty());
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! That list has a flaw the lecture's has too: `peer.write_all` blocks while a peer's
//! socket is full, so one client that stops reading stalls every sender, and the lock
//! with them. The crate's [`Clients`](crate::clients::Clients) is the list done right:
//! `clients.join(req)` registers a client (it leaves when the returned membership drops),
//! `me.broadcast(&line)` queues the line for everyone else, each client's own writer
//! sends its queue, and a client too far behind is dropped rather than waited for. With
//! it the handler is the lecture's loop and nothing more:
//!
//! ```
//! use socketserver::clients::Clients;
//! use socketserver::{StreamRequest, ThreadingTcpServer};
//! use std::io::BufRead;
//!
//! let clients = Clients::new();
//! let server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
//!     let clients = clients.clone();
//!     move |req: &mut StreamRequest| {
//!         let me = clients.join(req)?;
//!         let mut line = Vec::new();
//!         while req.rfile.read_until(b'\n', &mut line)? > 0 {
//!             me.broadcast(&line);
//!             line.clear();
//!         }
//!         Ok(())
//!     }
//! })?;
//! # drop(server);
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! `cargo run --example chat_server` is that server with its command-line flags.
