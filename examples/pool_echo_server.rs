//! Ports `future_socket_server.py` (lecture 001): an echo server whose clients are served
//! by a fixed pool of threads, `concurrent.futures.ThreadPoolExecutor(max_workers=10)`.
//!
//! Try: `cargo run --example pool_echo_server -- --workers 2`, then `nc 127.0.0.1 2500`
//! in three terminals: the third gets its echoes once one of the first two leaves.
//!
//! The handler is `echo_server`'s, `common::Echo`: only the server type changed.
//!
//! Changed from the lecture: the protocol is `echo_server`'s (lines, not `recv(1024)`
//! chunks, byte-exact, `quit` closes), and waiting clients queue in a bounded queue and
//! then the listen backlog instead of an unbounded executor queue.

mod common;

use clap::Parser;
use socketserver::PoolTcpServer;

/// Line echo server on a fixed pool of worker threads.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
    /// Clients served at once; later ones wait until a worker frees
    #[arg(short, long, default_value_t = 10)]
    workers: usize,
}

fn main() {
    let args = Args::parse();
    let builder = PoolTcpServer::builder().max_workers(args.workers);
    common::serve(builder, &args.server, || common::Echo);
}
