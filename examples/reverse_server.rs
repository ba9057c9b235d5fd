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
    endpoint: common::Endpoint<8888>,
}

fn main() -> socketserver::Result<()> {
    let args = Args::parse();
    common::init_logging();
    let server = ThreadingTcpServer::bind(args.endpoint.addr(), || {
        |req: &mut StreamRequest| {
            log::info!("connected to {}", req.client_address);
            let mut line = Vec::new();
            while req.rfile.read_until(b'\n', &mut line)? > 0 {
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                match std::str::from_utf8(text) {
                    Ok(text) => writeln!(req.wfile, "{}", text.chars().rev().collect::<String>())?,
                    Err(_) => writeln!(req.wfile, "error: not UTF-8: \"{}\"", text.escape_ascii())?,
                }
                line.clear();
            }
            log::info!("{} closed", req.client_address);
            Ok(())
        }
    })?;
    common::stop_on_signal(server.shutdown_handle());
    common::announce(server.local_addr()?);
    server.serve_forever()?;
    server.close_connections(); // idle clients: their handlers see end-of-file
    Ok(())
}
