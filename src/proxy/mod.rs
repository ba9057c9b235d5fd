//! The PROXY protocol (v1 text and v2 binary), for servers behind a load balancer:
//! HAProxy's `send-proxy` / `send-proxy-v2`, nginx's `proxy_protocol`, AWS's NLB. The
//! balancer opens each connection with a header that says who the client really is; with
//! [`ServerBuilder::proxy_protocol`](crate::ServerBuilder::proxy_protocol) every stream
//! server reads it before anything else (before the TLS handshake when both are on).
//!
//! - The header's source address becomes the request's client address wherever the crate
//!   shows one: [`StreamRequest::client_address`](crate::StreamRequest::client_address),
//!   [`Context::peer_addr`](crate::Context::peer_addr), `verify_request`, `handle_error`
//!   and the HTTP access log. A v2 `LOCAL` header (a balancer's health check) and a v1
//!   `UNKNOWN` one keep the socket's own peer address.
//! - The whole header, TLVs included, is there for handlers:
//!   [`StreamRequest::proxy_header`](crate::StreamRequest::proxy_header),
//!   [`Context::proxy_header`](crate::Context::proxy_header).
//! - Only the balancers listed in [`ProxyProtocol::trusted_sources`] may connect (loopback
//!   by default): a header from anyone else would let a client pick its own address. A
//!   connection from elsewhere, one whose first bytes are not a header, a malformed header,
//!   or one not complete within [`ProxyProtocol::header_timeout`] (5 s by default) is
//!   closed without running the handler, and reported through `handle_error`.
//! - The header is read where the request runs (a `Threading` thread, a `Pool` worker, a
//!   `Forking` child; the event loop reads it without blocking), never on the accept loop
//!   of a concurrent server, so a slow header holds up nobody else.
//!
//! Headers are parsed by the [`ppp`](https://docs.rs/ppp) crate; none of its types
//! appear here.
//!
//! ```
//! use socketserver::proxy::ProxyProtocol;
//! use socketserver::{StreamRequest, ThreadingTcpServer};
//! use std::io::{Read, Write};
//!
//! let server = ThreadingTcpServer::builder()
//!     .proxy_protocol(ProxyProtocol::new()) // from loopback balancers only
//!     .bind("127.0.0.1:0", || {
//!         |req: &mut StreamRequest| writeln!(req.wfile, "hello {}", req.client_address)
//!     })?;
//! let addr = server.local_addr()?;
//! let handle = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.serve_forever());
//!
//! // What HAProxy sends for a client at 192.0.2.7:40000.
//! let mut balancer = std::net::TcpStream::connect(addr)?;
//! balancer.write_all(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 2500\r\n")?;
//! balancer.shutdown(std::net::Shutdown::Write)?;
//! let mut reply = String::new();
//! balancer.read_to_string(&mut reply)?;
//! assert_eq!(reply, "hello 192.0.2.7:40000\n");
//!
//! handle.shutdown();
//! serving.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blocking;
mod config;
mod header;
mod parse;

pub(crate) use blocking::read_header;
pub use config::{ProxyProtocol, DEFAULT_HEADER_TIMEOUT};
pub use header::{ProxyHeader, ProxyTlv};
pub(crate) use parse::{parse, Parsed, MAX_HEADER_LEN};
