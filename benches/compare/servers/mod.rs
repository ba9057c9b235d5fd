//! The contender servers that live in this binary. `compare --serve ID` runs one of them
//! in a child process of its own, so its CPU time and memory can be read from `/proc`.
//! Each binds 127.0.0.1 port 0, prints `listening on ADDR` and serves until killed.

pub mod files;
pub mod handwritten;
pub mod mio_echo;
pub mod socketserver;
#[cfg(feature = "tls")]
pub mod tls;
pub mod tokio_echo;

use std::io::Write;
use std::net::SocketAddr;

/// Worker threads of the pool servers: enough for every connection of the largest
/// ping-pong scenario (128), since a pooled connection keeps its worker until it closes.
pub const POOL_WORKERS: usize = 160;

/// The page of the HTTP scenario (the same bytes as `benches/python/http_server.py`).
pub const PAGE: &[u8] = b"<!doctype html><title>bench</title><p>Hello from the benchmark.</p>\n";

/// Tells the harness where the server listens (the examples' contract: one line, flushed).
pub fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();
}

/// Runs the server with this id (see `contenders.rs`); returns when it fails.
pub fn serve(id: &str) -> std::io::Result<()> {
    match crate::contenders::all().into_iter().find(|c| c.id == id) {
        Some(crate::contenders::Contender {
            launch: crate::contenders::Launch::InBinary(run),
            ..
        }) => run(),
        _ => Err(std::io::Error::other(format!(
            "no in-binary server named {id}"
        ))),
    }
}

/// An accept error that concerns one client only: skip it and accept the next.
pub fn transient_accept_error(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::Interrupted
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
