//! `select_echo_server`: the select and select + queue echo servers of lecture 002 on the
//! crate's event loop. One thread serves every client, each with its own write queue.
//!
//! Every line comes back unchanged (`\r\n`, empty lines and long lines included); a line
//! `quit` closes that connection.
//!
//! ```text
//! cargo run --release --example select_echo_server -- -p 2500
//! ```

use std::io::{self, Write};
use std::net::IpAddr;

use clap::Parser;
use socketserver::event::{Context, EventHandler, EventLoopTcpServer};

/// Echo server: one thread, every client (select + queue, lecture 002).
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(short, long, default_value = "127.0.0.1")]
    ip: IpAddr,
    /// Port to listen on (0 picks a free port).
    #[arg(short, long, default_value_t = 2500)]
    port: u16,
}

/// The longest line echoed: far beyond the 1 MiB lines the echo protocol promises.
const MAX_LINE: usize = 64 * 1024 * 1024;

struct Echo;

impl EventHandler for Echo {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        if line.trim_ascii_end() == b"quit" {
            ctx.close();
        } else {
            ctx.send(line);
        }
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let args = Args::parse();
    let server = EventLoopTcpServer::builder()
        .max_line_length(MAX_LINE)
        .bind((args.ip, args.port), || Echo)?;

    let handle = server.shutdown_handle();
    ctrlc::set_handler(move || handle.request_shutdown())?;

    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {}", server.local_addr()?)?;
    stdout.flush()?;

    server.serve_forever()?;
    Ok(()) // dropping the server closes every connection
}
