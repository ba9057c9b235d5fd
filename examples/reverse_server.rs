//! Ports Assignment #5's server (lecture 003): a thread per client; each line comes back
//! reversed by characters (`Hello World!!!` -> `!!!dlroW olleH`). Default port 8888.
//!
//! Try: `cargo run --example reverse_server`, then `cargo run --example reverse_client --
//! -p 8888 -i 127.0.0.1` as in the assignment, and type.
//!
//! Reversal is by characters, not bytes, so `안녕하세요` comes back `요세하녕안` and not as
//! broken UTF-8; a line that is not UTF-8 is answered with an error line.

mod common;

use clap::Parser;

/// Threaded line-reversing server.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs<8888>,
}

/// The line reversed by characters, or the answer to bytes that are not UTF-8.
fn reverse(line: &[u8]) -> String {
    common::text(line).map_or_else(|error| error, |text| text.chars().rev().collect())
}

fn main() {
    let args = Args::parse();
    common::serve_replies(&args.server, false, reverse);
}
