//! Ports `threading_class_echo_server.py` (lecture 001) and socketserver's
//! `ThreadingTCPServer` + `StreamRequestHandler` (lecture 002): a thread per client, each
//! line sent back unchanged, `quit` closes the connection.
//!
//! Try: `cargo run --example echo_server`, then `nc 127.0.0.1 2500` in another terminal.
//!
//! Changed from the lecture: lines, not `recv(2048)` chunks, so a long or split message
//! comes back whole and `quit` is recognised however the bytes arrive; bytes, not
//! `decode()`, so any binary line is echoed exactly.

mod common;

use std::io::{BufRead, Write};

use clap::Parser;
use socketserver::{StreamHandler, StreamRequest, ThreadingTcpServer};

/// Threaded line echo server.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
}

struct Echo;

impl StreamHandler for Echo {
    fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
        log::info!("connection from {}", req.client_address);
        let mut line = Vec::new();
        while req.rfile.read_until(b'\n', &mut line)? > 0 {
            if line.trim_ascii_end() == b"quit" {
                break;
            }
            req.wfile.write_all(&line)?;
            line.clear();
        }
        log::info!("{} disconnected", req.client_address);
        Ok(())
    }
}

fn main() -> socketserver::Result<()> {
    let args = Args::parse();
    common::init_logging();
    let server = ThreadingTcpServer::bind(args.endpoint.addr(), || Echo)?;
    common::stop_on_signal(server.shutdown_handle());
    common::announce(server.local_addr()?);
    server.serve_forever()?;
    server.close_connections(); // idle clients: their handlers see end-of-file
    Ok(()) // dropping the server waits for handlers to finish
}
