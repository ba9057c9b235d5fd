//! Ports Assignment #5's server (lecture 003): a thread per client; each line comes back
//! reversed by characters (`Hello World!!!` -> `!!!dlroW olleH`). Default port 8888.
//!
//! Try: `cargo run --example reverse_server`, then `cargo run --example reverse_client --
//! -p 8888 -i 127.0.0.1` as in the assignment, and type.
//!
//! Reversal is by characters, not bytes, so `안녕하세요` comes back `요세하녕안` and not as
//! broken UTF-8; a line that is not UTF-8 is answered with an error line.

mod common;

use std::io::{BufRead, Write};

use clap::Parser;
use socketserver::{StreamRequest, ThreadingTcpServer};

/// Threaded line-reversing server.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs<8888>,
}

fn main() {
    let args = Args::parse();
    common::serve(ThreadingTcpServer::builder(), &args.server, || {
        |req: &mut StreamRequest| {
            log::info!("connected to {}", req.client_address);
            let mut line = Vec::new();
            while req.rfile.read_until(b'\n', &mut line)? > 0 {
                match common::text(&line) {
                    Ok(text) => writeln!(req.wfile, "{}", text.chars().rev().collect::<String>())?,
                    Err(error) => writeln!(req.wfile, "{error}")?,
                }
                line.clear();
            }
            log::info!("{} closed", req.client_address);
            Ok(())
        }
    });
}
