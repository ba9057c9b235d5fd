//! Ports `threading_class_echo_server.py` (lecture 001) and socketserver's
//! `ThreadingTCPServer` + `StreamRequestHandler` (lecture 002): a thread per client, each
//! line sent back unchanged, `quit` closes the connection.
//!
//! Try: `cargo run --example echo_server`, then `nc 127.0.0.1 2500` in another terminal.
//!
//! The handler is `common::Echo` (in `examples/common/mod.rs`), shared with
//! `pool_echo_server`: switching the concurrency model changes only the server type.
//!
//! Changed from the lecture: lines, not `recv(2048)` chunks, so a long or split message
//! comes back whole and `quit` is recognised however the bytes arrive; bytes, not
//! `decode()`, so any binary line is echoed exactly.

mod common;

use clap::Parser;
use socketserver::ThreadingTcpServer;

/// Threaded line echo server.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
    #[command(flatten)]
    stream: common::StreamArgs,
}

fn main() {
    let args = Args::parse();
    let builder = args.stream.apply(ThreadingTcpServer::builder());
    common::serve(builder, &args.server, || common::Echo);
}
