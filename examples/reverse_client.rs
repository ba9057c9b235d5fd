//! Ports Assignment #5's client (lecture 003): each line you type goes to `reverse_server`
//! and its reversal is printed. Default port 8888; `-p 8888 -i 127.0.0.1` as in the
//! assignment.
//!
//! Try: `cargo run --example reverse_server`, then `echo 'Hello World!!!' | cargo run
//! --example reverse_client -- -p 8888 -i 127.0.0.1` (prints `!!!dlroW olleH`).
//!
//! Changed from the assignment: no `>>>` prompt, so the output is only the replies and
//! the client can be piped.

mod common;

use clap::Parser;

/// Reverse client: stdin lines, reversed replies on stdout.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint<8888>,
}

fn main() {
    let args = Args::parse();
    common::init_logging();
    common::tcp_line_client(args.endpoint.addr(), "");
}
