//! Ports `future_socket_server.py` (lecture 001): an echo server whose clients are served
//! by a fixed pool of threads, `concurrent.futures.ThreadPoolExecutor(max_workers=10)`.
//!
//! Try: `cargo run --example pool_echo_server -- --workers 2`, then `nc 127.0.0.1 2500`
//! in three terminals: the third gets its echoes once one of the first two leaves.
//!
//! Changed from the lecture: the protocol is `echo_server`'s (lines, not `recv(1024)`
//! chunks, byte-exact, `quit` closes), and waiting clients queue in a bounded queue and
//! then the listen backlog instead of an unbounded executor queue.

mod common;

use std::io::{BufRead, Write};

use clap::Parser;
use socketserver::{PoolTcpServer, StreamHandler, StreamRequest};

/// Line echo server on a fixed pool of worker threads.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Clients served at once; later ones wait until a worker frees
    #[arg(short, long, default_value_t = 10)]
    workers: usize,
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
    let server = PoolTcpServer::bind(args.endpoint.addr(), || Echo)?.max_workers(args.workers);
    common::stop_on_signal(server.shutdown_handle());
    common::announce(server.local_addr()?);
    server.serve_forever()?;
    server.close_connections(); // idle clients: their handlers see end-of-file
    Ok(()) // dropping the server waits for handlers to finish
}
