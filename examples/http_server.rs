//! Ports `python -m http.server` (`SimpleHTTPRequestHandler` on a
//! `ThreadingHTTPServer`, the http.server of lecture 002): serves the files of a
//! directory.
//!
//! Try: `cargo run --example http_server -- -d .`, then open <http://127.0.0.1:8000/>.
//!
//! The library's `FileServer` does the work; what Python never fixed is fixed there:
//! byte ranges (gh-86809), no open redirect for `//host` paths (CVE-2021-28861), no
//! symbolic links out of the directory, and a log line that a request cannot forge with
//! control characters (gh-100001). Unlike Python it listens on 127.0.0.1 by default.
//!
//! `--event-loop` serves every connection from one thread, as nginx does, instead of a
//! thread per connection (Python's `ThreadingHTTPServer`): faster for many small files.

mod common;

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::Parser;
use socketserver::event::EventLoopTcpServer;
use socketserver::http::{FileServer, HttpEvents, ThreadingHttpServer};
use socketserver::Serve;

/// Serves the files of a directory over HTTP (`python -m http.server`).
#[derive(Parser)]
struct Args {
    /// Port (as Python takes it); 0 picks a free port
    #[arg(value_name = "PORT", conflicts_with = "port_flag")]
    port: Option<u16>,
    /// Port; 0 picks a free port
    #[arg(short = 'p', long = "port", id = "port_flag", default_value_t = 8000)]
    port_flag: u16,
    /// Address to bind (IPv4 or IPv6)
    #[arg(
        short = 'b',
        long = "bind",
        visible_short_alias = 'i',
        visible_alias = "ip",
        default_value = "127.0.0.1"
    )]
    bind: IpAddr,
    /// The directory to serve
    #[arg(short, long, default_value = ".")]
    directory: PathBuf,
    /// Set SO_REUSEPORT before binding, so several instances listen on one port
    #[arg(long)]
    reuse_port: bool,
    /// Serve every connection from one event-loop thread, instead of a thread each
    #[arg(long)]
    event_loop: bool,
    #[command(flatten)]
    stream: common::StreamArgs,
}

fn main() {
    let args = Args::parse();
    init_access_log();
    let files = FileServer::new(&args.directory).unwrap_or_else(|err| {
        common::exit_with(2, format_args!("{}: {err}", args.directory.display()))
    });
    let server_args = common::ServerArgs::<8000> {
        endpoint: common::Endpoint {
            ip: args.bind,
            port: args.port.unwrap_or(args.port_flag),
        },
        reuse_port: args.reuse_port,
    };
    let addr = SocketAddr::new(args.bind, server_args.endpoint.port);
    if args.event_loop {
        let builder = EventLoopTcpServer::builder().disable_nagle_algorithm(true);
        let builder = args.stream.apply(server_args.configure(builder));
        run(builder.bind(addr, move || HttpEvents::new(files.clone())));
    } else {
        let builder = args
            .stream
            .apply(server_args.configure(ThreadingHttpServer::builder()));
        run(builder.bind(addr, move || files.clone()));
    }
}

fn run(server: socketserver::Result<impl Serve<Addr = SocketAddr>>) {
    let server = server.unwrap_or_else(|err| common::exit_with(2, err));
    common::announce(Serve::local_addr(&server).unwrap_or_else(|err| common::exit_with(2, err)));
    if let Err(err) = Serve::run(server) {
        common::exit_with(1, err);
    }
}

/// Python's log on stderr: the access log lines as they are (`IP - - [DATE] "GET / HTTP/1.1"
/// 200 1234`, control characters already escaped by the library), other messages with
/// their level. `RUST_LOG` overrides the level (info).
fn init_access_log() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| {
            if record.target() == "socketserver::http::log" {
                writeln!(out, "{}", record.args())
            } else {
                writeln!(out, "{}: {}", record.level(), record.args())
            }
        })
        .init();
}
