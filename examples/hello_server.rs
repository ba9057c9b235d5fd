//! Ports `tcp_server.py` (lecture 003): an iterative server that greets each client with
//! `Server Saying Hi` and closes the connection, one client at a time.
//!
//! Try: `cargo run --example hello_server`, then `nc 127.0.0.1 2500`.

mod common;

use std::io::Write;

use clap::Parser;
use socketserver::{StreamRequest, TcpServer};

/// Iterative greeting server.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
}

fn main() {
    let args = Args::parse();
    common::serve(TcpServer::builder(), &args.server, || {
        |req: &mut StreamRequest| {
            log::info!("connection from {}", req.client_address);
            req.wfile.write_all(b"Server Saying Hi\n")
        }
    });
}
