//! `select_echo_server`: the select and select + queue echo servers of lecture 002 on the
//! crate's event loop. One thread serves every client, each with its own write queue.
//!
//! Every line comes back unchanged (`\r\n`, empty lines and lines of any length
//! included); a line `quit` is echoed, then that connection closes.
//!
//! `--threads N` runs N event loops, each on its own thread with its own `SO_REUSEPORT`
//! listener on the port; the kernel gives each new connection to one of them, which
//! serves it to the end. SIGTERM stops them all. `--backend io-uring` serves through
//! io_uring (built with `--features io-uring`; otherwise, or where the kernel refuses it,
//! one log line and epoll).
//!
//! ```text
//! cargo run --release --example select_echo_server -- -p 2500
//! cargo run --release --example select_echo_server -- -p 2500 --threads 2
//! ```

mod common;

use std::io;

use clap::Parser;
use socketserver::event::{Backend, Context, EventHandler, EventLoopTcpServer};

/// Echo server: one thread, every client (select + queue, lecture 002).
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
    #[command(flatten)]
    stream: common::StreamArgs,
    /// Event loops, each on its own thread, sharing the port
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    threads: u16,
    /// The event loop's kernel interface (io-uring falls back to epoll, with one log line,
    /// where the kernel refuses it or the crate was built without the `io-uring` feature);
    /// default epoll, or what `SOCKETSERVER_BACKEND` names
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BackendArg {
    Epoll,
    IoUring,
}

/// Echoes bytes as they arrive, as the lecture's server echoes each `recv`, and keeps only
/// the start of the current line to spot `quit`: a line of any length costs no memory.
#[derive(Default)]
struct Echo {
    line_start: Vec<u8>,
}

impl EventHandler for Echo {
    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        for (i, &byte) in data.iter().enumerate() {
            if byte != b'\n' {
                if self.line_start.len() < "quit\r".len() + 1 {
                    self.line_start.push(byte);
                }
            } else if self.line_start.trim_ascii_end() == b"quit" {
                ctx.send(&data[..=i]); // echoed, then the connection closes
                ctx.close();
                return Ok(());
            } else {
                self.line_start.clear();
            }
        }
        ctx.send(data);
        Ok(())
    }
}

fn main() {
    let mut args = Args::parse();
    let threads = usize::from(args.threads);
    // The loops' listeners form a SO_REUSEPORT group: the server's socket needs it too
    // (`serve` sets the flag after `loops` would).
    args.server.reuse_port |= threads > 1;
    let mut builder = args
        .stream
        .apply(EventLoopTcpServer::builder().loops(threads));
    if let Some(backend) = args.backend {
        builder = builder.backend(match backend {
            BackendArg::Epoll => Backend::Epoll,
            BackendArg::IoUring => Backend::IoUring,
        });
    }
    common::serve(builder, &args.server, Echo::default);
}
