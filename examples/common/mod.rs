//! Plumbing shared by the examples: the `-i/--ip` and `-p/--port` flags, logging to stderr,
//! the `listening on IP:PORT` line, and stopping a server on SIGINT/SIGTERM.

#![allow(dead_code)] // each example uses the part it needs

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use socketserver::ShutdownHandle;

/// Where a server listens or a client connects: `-i/--ip` and `-p/--port`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Endpoint<const DEFAULT_PORT: u16 = 2500> {
    /// IP address (IPv4 or IPv6)
    #[arg(short, long, default_value = "127.0.0.1")]
    pub ip: IpAddr,
    /// Port; 0 picks a free port
    #[arg(short, long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

impl<const DEFAULT_PORT: u16> Endpoint<DEFAULT_PORT> {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the default level (info).
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
}

/// SIGINT and SIGTERM ask the server to stop; `serve_forever` then returns.
pub fn stop_on_signal(handle: ShutdownHandle) {
    if let Err(err) = ctrlc::set_handler(move || handle.request_shutdown()) {
        log::error!("cannot install the signal handler: {err}");
        std::process::exit(1);
    }
}

/// The one line a server prints on stdout, as soon as it accepts connections.
pub fn announce(addr: impl std::fmt::Display) {
    println!("listening on {addr}");
    // A closed stdout is no reason to stop serving.
    let _ = std::io::stdout().flush();
}
