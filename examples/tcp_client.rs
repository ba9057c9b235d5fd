//! Ports the lectures' `TCP_client.py`: a generic line client. Each line you type is sent;
//! every line the server sends back is printed.
//!
//! Try: `cargo run --example echo_server` (or `numbered_reply_server`, ...), then
//! `cargo run --example tcp_client` and type; or pipe: `printf 'a\nb\n' | cargo run
//! --example tcp_client`.
//!
//! Changed from the lecture: replies are printed by their own thread as they come, so a
//! server that answers late, twice or not at all never leaves the client waiting in
//! `recv`; at the end of input the client waits for the server to close, at most a few
//! seconds.

mod common;

use clap::Parser;

/// Generic TCP line client.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
}

fn main() {
    let args = Args::parse();
    common::init_logging();
    common::tcp_line_client(args.endpoint.addr(), "");
}
