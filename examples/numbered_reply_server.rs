//! Ports `thread_TCP_server.py` (lecture 001): a thread per client; the Nth message on a
//! connection is answered `server response N`.
//!
//! Try: `cargo run --example numbered_reply_server`, then `cargo run --example tcp_client`
//! in two more terminals (or `nc 127.0.0.1 2500`): each connection counts on its own.
//!
//! Changed from the lecture: a message is a line, not whatever one `recv(1024)` returned,
//! so two quick messages are two replies and a long one is one; the line is counted without
//! being kept (`skip_until`), so no line is too long. The thread per client is
//! `ThreadingTcpServer`'s, not `_thread.start_new_thread`.

mod common;

use std::io::{BufRead, Write};

use clap::Parser;
use socketserver::{StreamRequest, ThreadingTcpServer};

/// Threaded server that numbers its replies.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
}

fn main() {
    let args = Args::parse();
    common::serve(ThreadingTcpServer::builder(), &args.server, || {
        |req: &mut StreamRequest| {
            log::info!("connection from {}", req.client_address);
            let mut count = 0; // per connection: each handler has its own
            while req.rfile.skip_until(b'\n')? > 0 {
                count += 1;
                writeln!(req.wfile, "server response {count}")?; // one send, however formatted
            }
            Ok(())
        }
    });
}
