//! Ports `GUI_ChatServer_Multi.py` and `threading_server.py` (lecture 001): a thread per
//! client; every line a client sends is relayed to every other client (`--echo-self`: to
//! the sender too).
//!
//! Try: `cargo run --example chat_server`, then `cargo run --example chat_client -- --name
//! alice` and `... -- --name bob` in two more terminals, and type.
//!
//! Changed from the lectures, and why:
//! - The client list is the crate's [`Clients`], shared through the handler factory,
//!   not a global list mutated while other threads iterate it (`threading_server.py`
//!   removes from the list inside its `for` loop and sends to everyone, the sender
//!   included).
//! - A broadcast only queues: each client's own writer sends what is queued, and a client
//!   1 MiB behind has stopped reading and is dropped, so a slow or dead client never
//!   blocks the others (in the lecture one stuck `sendall` stalls every sender).
//! - A client leaves when its handler returns, however it returns.
//! - A message is a line, not a `recv(256)` chunk, so long lines arrive whole.

mod common;

use std::io::BufRead;

use clap::Parser;
use socketserver::clients::Clients;
use socketserver::{StreamRequest, ThreadingTcpServer};

/// Threaded chat server: relays each line to the other clients.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
    /// Also send each line back to its sender (default: only to the others)
    #[arg(long)]
    echo_self: bool,
}

fn main() {
    let args = Args::parse();
    let (clients, echo_self) = (Clients::new(), args.echo_self);
    common::serve(ThreadingTcpServer::builder(), &args.server, move || {
        let clients = clients.clone();
        move |req: &mut StreamRequest| {
            let me = clients.join(req)?;
            let mut line = Vec::new();
            while req.rfile.read_until(b'\n', &mut line)? > 0 {
                if !line.ends_with(b"\n") {
                    line.push(b'\n'); // the last line of a client that did not end it
                }
                if echo_self {
                    me.broadcast_all(&line)
                } else {
                    me.broadcast(&line)
                };
                line.clear();
            }
            Ok(())
        }
    });
}
