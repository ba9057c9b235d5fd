//! # 4. UDP: one request per datagram
//!
//! UDP has no connections: a server receives datagrams, each with the sender's address,
//! and answers with `sendto`. Lecture 002's `socketserver.UDPServer` example:
//!
//! ```python
//! class Handler(socketserver.DatagramRequestHandler):
//!     def handle(self):
//!         data = self.rfile.read()
//!         self.wfile.write(data)
//!
//! socketserver.UDPServer(("", 2500), Handler).serve_forever()
//! ```
//!
//! The same with a [`DatagramHandler`](crate::DatagramHandler): `rfile` reads the packet,
//! and what you write to `wfile` goes back to the sender as one datagram.
//!
//! ```
//! use socketserver::{DatagramRequest, UdpServer};
//! use std::io::{Read, Write};
//!
//! let server = UdpServer::bind("127.0.0.1:0", || {
//!     |req: &mut DatagramRequest| {
//!         let mut data = Vec::new();
//!         req.rfile.read_to_end(&mut data)?;
//!         req.wfile.write_all(&data)
//!     }
//! })?;
//! let client = std::net::UdpSocket::bind("127.0.0.1:0")?;
//! client.send_to(b"ping", server.local_addr()?)?;
//! server.handle_request()?;
//! let mut buf = [0; 1024];
//! let (n, _) = client.recv_from(&mut buf)?;
//! assert_eq!(&buf[..n], b"ping");
//! # Ok::<(), socketserver::Error>(())
//! ```
//!
//! Two things Python does silently are visible here: a datagram longer than
//! `max_packet_size` (8192 by default) is reported through `handle_error` instead of
//! being cut short, and a handler that writes nothing sends nothing (Python sends an empty
//! datagram).
//!
//! ## The UDP chat server
//!
//! Lecture 001's UDP chat server remembers every sender and relays each message to the
//! others. It sets its socket non-blocking and loops on `recvfrom` inside `try: ...
//! except: pass`, so it spins at 100% CPU while nobody talks. A server here sleeps in the
//! kernel until a datagram arrives. To send to other clients, use the server's socket
//! ([`DatagramRequest::socket`](crate::DatagramRequest::socket)):
//!
//! ```
//! use socketserver::{Address, DatagramRequest, UdpServer};
//! use std::sync::{Arc, Mutex};
//!
//! let known: Arc<Mutex<Vec<Address>>> = Arc::default();
//! let shared = Arc::clone(&known);
//! let server = UdpServer::bind("127.0.0.1:0", move || {
//!     let known = Arc::clone(&shared);
//!     move |req: &mut DatagramRequest| {
//!         let me = req.client_address.to_string();
//!         let mut known = known.lock().unwrap();
//!         if req.packet() == b"quit" {
//!             known.retain(|a| a.to_string() != me);
//!             return Ok(());
//!         }
//!         if !known.iter().any(|a| a.to_string() == me) {
//!             known.push(req.client_address.clone());
//!         }
//!         for other in known.iter().filter(|a| a.to_string() != me) {
//!             req.socket().send_to(req.packet(), other)?;
//!         }
//!         Ok(())
//!     }
//! })?;
//! let addr = server.local_addr()?;
//! let (ann, bob) = (std::net::UdpSocket::bind("127.0.0.1:0")?, std::net::UdpSocket::bind("127.0.0.1:0")?);
//! bob.send_to(b"[bob] joined", addr)?;
//! server.handle_request()?;
//! ann.send_to(b"[ann] hello", addr)?;
//! server.handle_request()?;
//! let mut buf = [0; 64];
//! let n = bob.recv(&mut buf)?;
//! assert_eq!(&buf[..n], b"[ann] hello");
//! # Ok::<(), socketserver::Error>(())
//! ```
