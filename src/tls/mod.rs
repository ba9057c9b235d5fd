//! TLS for every stream server (feature `tls`), with rustls: one [`TlsConfig`] that any
//! stream server takes through its builder ([`ServerBuilder::tls`](crate::ServerBuilder::tls)),
//! Python's `ssl.wrap_socket` around a socketserver, done so that the handshake never
//! holds up other clients.
//!
//! - Handlers see the same `rfile` and `wfile` (the event loop: the same `send`) as
//!   without TLS; what they may need of the session is
//!   [`StreamRequest::tls`](crate::StreamRequest::tls): the server name the client asked
//!   for (SNI), the ALPN protocol, the client's certificate.
//! - The handshake runs where the request runs: on the request's thread (`Threading`), a
//!   worker (`Pool`), the child (`Forking`), or driven by the event loop without blocking;
//!   never on the accept loop of a concurrent server. A client that does not finish it
//!   within the handshake timeout (10 s by default) is dropped; a plaintext or garbage
//!   client is logged and closed.
//! - Certificates rotate without a restart: [`TlsConfig::reload_pem_files`] gives new
//!   connections the new certificate while established ones keep theirs.
//!
//! ```
//! use socketserver::tls::TlsConfig;
//! use socketserver::{StreamRequest, ThreadingTcpServer};
//! use std::io::Write;
//!
//! # let dir = tempfile::tempdir()?;
//! # let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
//! # let made = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
//! # std::fs::write(&cert, made.cert.pem())?;
//! # std::fs::write(&key, made.signing_key.serialize_pem())?;
//! let tls = TlsConfig::from_pem_files(&cert, &key)?;
//! let server = ThreadingTcpServer::builder()
//!     .tls(tls)
//!     .bind("127.0.0.1:0", || |req: &mut StreamRequest| req.wfile.write_all(b"secret\n"))?;
//! # drop(server);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod session;

pub use config::{TlsConfig, TlsFileError, DEFAULT_HANDSHAKE_TIMEOUT};
pub use session::TlsInfo;
pub(crate) use session::{info, TlsSession};
