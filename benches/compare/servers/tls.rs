//! The TLS contenders: this crate's `ThreadingTcpServer` and event loop with
//! `ServerBuilder::tls`, and the tokio twin (tokio-rustls, a task per connection), each
//! echoing lines with the certificate the harness made (`crate::tls`).

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::tls::TlsConfig;
use socketserver::{StreamRequest, ThreadingTcpServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::announce;

fn failed(err: socketserver::Error) -> io::Error {
    io::Error::other(err)
}

/// The crate's configuration, from the harness's files.
fn config() -> io::Result<TlsConfig> {
    TlsConfig::from_pem_files(crate::tls::file("cert.pem")?, crate::tls::file("key.pem")?)
        .map_err(failed)
}

/// The line echo of the plaintext contenders, unchanged: TLS is the builder's business.
fn line_echo(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = Vec::with_capacity(128);
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

/// `ThreadingTcpServer` with TLS: the handshake on the connection's thread.
pub fn threading() -> io::Result<()> {
    let server = ThreadingTcpServer::builder()
        .tls(config()?)
        .bind("127.0.0.1:0", || line_echo)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// The event loop's line echo.
struct EchoLines;

impl EventHandler for EchoLines {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.send(line);
        Ok(())
    }
}

/// `EventLoopTcpServer` with TLS: rustls driven by the loop, one thread.
pub fn event_loop() -> io::Result<()> {
    let server = EventLoopTcpServer::builder()
        .tls(config()?)
        .bind("127.0.0.1:0", || EchoLines)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// tokio + tokio-rustls: the handshake and the echo in a task per connection.
#[tokio::main]
pub async fn tokio() -> io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(crate::tls::server_config()?));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    announce(listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let mut stream = BufReader::with_capacity(8192, stream);
            let mut line = Vec::with_capacity(128);
            loop {
                line.clear();
                match stream.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        // tokio-rustls encrypts on write and sends on flush.
                        if stream.write_all(&line).await.is_err() || stream.flush().await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}
