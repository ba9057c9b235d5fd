//! The PROXY header comes first, then the TLS handshake (feature `tls`), on a threading
//! server and on the event loop: the handler sees the header's client and the session.
#![cfg(feature = "tls")]

mod support;

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::proxy::ProxyProtocol;
use socketserver::tls::TlsConfig;
use socketserver::{StreamRequest, ThreadingTcpServer};
use support::proxy::v2;
use support::tls::certs;
use support::{Serving, IO_TIMEOUT};

const CLIENT: &str = "198.51.100.9:5555";

/// A balancer that passes TLS through: the header in plaintext, then the client's
/// handshake on the same connection.
fn tls_through_balancer(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> String {
    let mut tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.write_all(&v2(CLIENT.parse().unwrap(), addr, None))
        .unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"hi\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&mut tls).read_line(&mut reply).unwrap();
    reply
}

#[test]
fn a_threading_server_reads_the_header_then_the_handshake() {
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap();
    let server = ThreadingTcpServer::builder()
        .proxy_protocol(ProxyProtocol::new())
        .tls(tls)
        .bind("127.0.0.1:0", || {
            |req: &mut StreamRequest| {
                let version = req.tls().expect("TLS").protocol_version;
                let mut line = String::new();
                req.rfile.read_line(&mut line)?;
                writeln!(
                    req.wfile,
                    "{} {version} {}",
                    req.client_address,
                    line.trim()
                )
            }
        })
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.run());
    let reply = tls_through_balancer(addr, certs.client_config(false));
    assert_eq!(reply, format!("{CLIENT} TLSv1.3 hi\n"));
    serving.stop().unwrap();
}

struct Who;

impl EventHandler for Who {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        let version = ctx.tls().expect("TLS").protocol_version;
        let reply = format!(
            "{} {version} {}\n",
            ctx.peer_addr(),
            String::from_utf8_lossy(line).trim()
        );
        ctx.send(reply.as_bytes());
        Ok(())
    }
}

#[test]
fn the_event_loop_reads_the_header_then_the_handshake() {
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap();
    let server = EventLoopTcpServer::builder()
        .proxy_protocol(ProxyProtocol::new())
        .tls(tls)
        .bind("127.0.0.1:0", || Who)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.run());
    let reply = tls_through_balancer(addr, certs.client_config(false));
    assert_eq!(reply, format!("{CLIENT} TLSv1.3 hi\n"));
    serving.stop().unwrap();
}
