//! Ports exercise 12-2 and `GUI_chatclient.py` (lecture 001): a chat client that sends
//! `NAME: line` for each line you type and prints every relayed line as it arrives.
//!
//! Try: `cargo run --example chat_server`, then `cargo run --example chat_client -- --name
//! alice` and `... -- --name bob` in two more terminals, and type.
//!
//! Changed from the lecture: a terminal instead of tkinter; the receiving thread is kept
//! (exercise 12-2's point: lines from others show up while you type). The line you send is
//! not printed back to you (the server does that with `--echo-self`). At the end of input
//! the client waits for the server to close, at most a few seconds.

mod common;

use clap::Parser;

/// Chat client: stdin lines go out as `NAME: line`; relayed lines are printed.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Name put in front of your lines
    #[arg(short, long, default_value = "guest")]
    name: String,
}

fn main() {
    let args = Args::parse();
    common::init_logging();
    common::tcp_line_client(args.endpoint.addr(), &format!("{}: ", args.name));
}
