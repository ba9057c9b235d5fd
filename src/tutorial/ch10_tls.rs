//! # 10. TLS: the echo server and the camera over HTTPS
//!
//! Every server so far speaks plaintext: fine on loopback, not once it leaves the
//! machine. Python's answer is `ssl` around the socket that `accept` returned:
//!
//! ```python
//! import socketserver, ssl
//!
//! context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
//! context.load_cert_chain("cert.pem", "key.pem")
//!
//! class TLSServer(socketserver.ThreadingTCPServer):
//!     def get_request(self):
//!         sock, addr = super().get_request()
//!         return context.wrap_socket(sock, server_side=True), addr
//!
//! TLSServer(("", 2500), EchoHandler).serve_forever()
//! ```
//!
//! It works, and it has a trap: `wrap_socket` does the handshake right there, in
//! `get_request`, on the thread that accepts. One client that connects and sends nothing
//! holds up every client after it, forever (there is no timeout). And a client that
//! speaks plaintext raises `ssl.SSLError` out of `serve_forever`'s request handling.
//!
//! With this crate TLS is one builder call, [`tls`](crate::ServerBuilder::tls), with a
//! [`TlsConfig`](crate::tls::TlsConfig) read from the same two PEM files (feature `tls`,
//! on by default; rustls underneath). The handshake runs where the request runs (the
//! client's thread for `Threading`), never on the accepting thread, and is bounded by a
//! timeout (10 s unless [`handshake_timeout`](crate::tls::TlsConfig::handshake_timeout)
//! says otherwise); a plaintext or garbage client is logged and closed. The handler is the
//! echo handler of chapter 2, unchanged: `rfile` and `wfile` are plaintext.
//!
//! ## Certificates
//!
//! For trying things out, a self-signed certificate for `localhost` and 127.0.0.1:
//!
//! ```text
//! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
//!     -keyout key.pem -out cert.pem -days 30 -subj /CN=localhost \
//!     -addext subjectAltName=DNS:localhost,IP:127.0.0.1
//! cargo run --example echo_server -- --tls-cert cert.pem --tls-key key.pem
//! openssl s_client -connect 127.0.0.1:2500 -CAfile cert.pem -quiet   # in another terminal
//! ```
//!
//! (A real deployment uses a certificate from a CA, Let's Encrypt's for instance; the key
//! may be PKCS#8, RSA or EC.) The example below makes its certificate itself with `rcgen`,
//! so that it runs as a test.
//!
//! ## The lecture's echo server, with TLS
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use std::sync::Arc;
//!
//! use socketserver::tls::TlsConfig;
//! use socketserver::{StreamHandler, StreamRequest, ThreadingTcpServer};
//!
//! struct Echo;
//! impl StreamHandler for Echo {
//!     fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
//!         // What the handler may want of the session: here, which TLS it is.
//!         let version = req.tls().map_or("plaintext", |tls| tls.protocol_version);
//!         writeln!(req.wfile, "hello over {version}")?;
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
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // cert.pem and key.pem, as openssl makes them above.
//! let dir = tempfile::tempdir()?;
//! let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
//! let made = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
//! std::fs::write(&cert, made.cert.pem())?;
//! std::fs::write(&key, made.signing_key.serialize_pem())?;
//!
//! // A missing file, a PEM without a certificate or key, or a key of another
//! // certificate fails here, with an error naming the file.
//! let tls = TlsConfig::from_pem_files(&cert, &key)?
//!     .handshake_timeout(std::time::Duration::from_secs(5));
//! let server = ThreadingTcpServer::builder()
//!     .tls(tls.clone())
//!     .bind("127.0.0.1:0", || Echo)?;
//! let addr = server.local_addr()?;
//! let stop = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.run());
//!
//! // A client that connects and says nothing holds up no one: its handshake waits on
//! // its own thread, and is dropped after 5 s.
//! let silent = std::net::TcpStream::connect(addr)?;
//!
//! // The client: rustls, trusting the self-signed certificate (Python: `ssl.
//! // create_default_context(cafile="cert.pem")` and `wrap_socket(sock,
//! // server_hostname="localhost")`).
//! let mut roots = rustls::RootCertStore::empty();
//! roots.add(made.cert.der().clone())?;
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//! let config = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .with_root_certificates(roots)
//!     .with_no_client_auth();
//! let name = rustls::pki_types::ServerName::try_from("localhost")?;
//! let connection = rustls::ClientConnection::new(Arc::new(config), name)?;
//! let socket = std::net::TcpStream::connect(addr)?;
//! let mut client = BufReader::new(rustls::StreamOwned::new(connection, socket));
//!
//! let mut line = String::new();
//! client.read_line(&mut line)?;
//! assert_eq!(line, "hello over TLSv1.3\n");
//! client.get_mut().write_all(b"secret\n")?;
//! line.clear();
//! client.read_line(&mut line)?;
//! assert_eq!(line, "secret\n");
//!
//! // Certificate rotation: new connections get the files' new certificate, this one
//! // goes on with its own (the examples do this on SIGHUP).
//! tls.reload_pem_files(&cert, &key)?;
//! client.get_mut().write_all(b"still here\n")?;
//! line.clear();
//! client.read_line(&mut line)?;
//! assert_eq!(line, "still here\n");
//!
//! drop(silent); // rather than have the stop wait out its 5 s
//! stop.shutdown();
//! serving.join().unwrap()?;
//! # Ok(())
//! # }
//! ```
//!
//! The same one call gives TLS to every stream server: [`Pool`](crate::Pool) (the
//! handshake on the worker), [`Forking`](crate::Forking) (in the child), the Unix socket
//! servers, and the event loop of chapter 8, where rustls' state machine is driven by the
//! loop without ever blocking it, and `on_connect` runs once the handshake is done:
//!
//! ```
//! use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
//! use socketserver::tls::TlsConfig;
//!
//! struct Echo;
//! impl EventHandler for Echo {
//!     fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> std::io::Result<()> {
//!         ctx.send(data); // encrypted on its way out
//!         Ok(())
//!     }
//! }
//!
//! # let dir = tempfile::tempdir()?;
//! # let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
//! # let made = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
//! # std::fs::write(&cert, made.cert.pem())?;
//! # std::fs::write(&key, made.signing_key.serialize_pem())?;
//! let server = EventLoopTcpServer::builder()
//!     .tls(TlsConfig::from_pem_files(&cert, &key)?)
//!     .bind("127.0.0.1:0", || Echo)?;
//! # drop(server);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Mutual TLS (clients must show a certificate signed by your CA) is
//! [`require_client_certificates`](crate::tls::TlsConfig::require_client_certificates);
//! the handler finds the client's certificate in
//! [`TlsInfo::peer_certificates`](crate::tls::TlsInfo::peer_certificates).
#![cfg_attr(
    feature = "http",
    doc = r#"
## The surveillance camera over HTTPS

Chapter 9's camera is an HTTP server; HTTPS is the same server with the same `tls` call
(Python 3.14's `http.server` has `HTTPSServer` for it). The camera's handler does not
change. Here a three-frame camera, watched by a rustls client:

```
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;

use socketserver::http::{HttpHandler, HttpRequest, MultipartWriter, ThreadingHttpServer};
use socketserver::tls::TlsConfig;

struct Camera;
impl HttpHandler for Camera {
    fn do_get(&mut self, req: &mut HttpRequest<'_>) -> std::io::Result<()> {
        if req.path() != "/stream.mjpg" {
            return req.send_error(404, None);
        }
        req.send_response(200)?;
        req.send_header("Cache-Control", "no-cache, private")?;
        let mut stream = MultipartWriter::new(req, "FRAME")?;
        for frame in [&b"frame 1"[..], b"frame 2", b"frame 3"] {
            stream.write_part("image/jpeg", frame)?; // a JPEG, in the real camera
        }
        stream.finish()
    }
}

# fn main() -> Result<(), Box<dyn std::error::Error>> {
# let dir = tempfile::tempdir()?;
# let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
# let made = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
# std::fs::write(&cert, made.cert.pem())?;
# std::fs::write(&key, made.signing_key.serialize_pem())?;
let server = ThreadingHttpServer::builder()
    .tls(TlsConfig::from_pem_files(&cert, &key)?)
    .bind("127.0.0.1:0", || Camera)?;
let addr = server.local_addr()?;
let stop = server.shutdown_handle();
let serving = std::thread::spawn(move || server.run());

// What a browser does: TLS first, then the same GET as over plaintext.
let mut roots = rustls::RootCertStore::empty();
roots.add(made.cert.der().clone())?;
let provider = Arc::new(rustls::crypto::ring::default_provider());
let config = rustls::ClientConfig::builder_with_provider(provider)
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
let name = rustls::pki_types::ServerName::try_from("localhost")?;
let connection = rustls::ClientConnection::new(Arc::new(config), name)?;
let socket = std::net::TcpStream::connect(addr)?;
let mut viewer = rustls::StreamOwned::new(connection, socket);
viewer.write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
let mut viewer = BufReader::new(viewer);
let mut status = String::new();
viewer.read_line(&mut status)?;
assert_eq!(status, "HTTP/1.1 200 OK\r\n");
let mut rest = String::new();
let _ = viewer.read_to_string(&mut rest); // the stream ends with the connection
assert!(rest.contains("Content-Type: multipart/x-mixed-replace; boundary=FRAME\r\n"));
assert!(rest.ends_with("Content-Length: 7\r\n\r\nframe 3\r\n--FRAME--\r\n"));

stop.shutdown();
serving.join().unwrap()?;
# Ok(())
# }
```

The full camera takes the examples' flags: `cargo run --example mjpeg_server --
--tls-cert cert.pem --tls-key key.pem`, then open `https://localhost:8000/` (the browser
warns about the self-signed certificate until you trust it). `kill -HUP` the server after
replacing the files and new viewers get the new certificate; the ones watching go on.
"#
)]
