//! Ports `multiprocess_TCP_server.py` and exercise 12-6 (lecture 001): each client is
//! served by a child process of its own. Lines are echoed, except that `Hello` is
//! answered `Hello Client` and `Good` is answered `Good Afternoon`; `quit` closes.
//!
//! Try: `cargo run --example forking_echo_server`, then `nc 127.0.0.1 2500` in two
//! terminals, and `ps --ppid $(pgrep -x forking_echo_se)` in a third: one child each.
//!
//! Changed from the lecture:
//! - clients are served at once: the lecture's `p1.join()` right after `p1.start()` made
//!   the server wait for each child, so it served one client at a time;
//! - a child ends when its client leaves (the lecture's loop went on forever, sending
//!   back the empty `recv` of a closed socket), and the server reaps it: no zombies;
//! - exercise 12-6 forks a process per `Hello` or `Good`; here the client's own process
//!   answers (a process per line would cost a fork per message and gain nothing);
//! - lines, not `recv(1024)` chunks, and bytes, not `decode()`: any line comes back whole.
//!
//! Signals without threads: forking a process that has other threads is unsafe (a lock
//! another thread holds stays locked in the child), and `ctrlc` starts a thread. So the
//! signal handlers only set a flag (`signal-hook`), which the loop reads every 100 ms.
//! On SIGINT or SIGTERM the server stops accepting, asks its children to end their
//! requests (`close_connections`: idle clients' children read end-of-file, a reply in
//! progress goes out), waits for every child, and exits 0.

mod common;

use std::io::{BufRead, Write};
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Parser;
use socketserver::{Forking, StreamHandler, StreamRequest, TcpServer};

/// Echo server with a child process per client.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
}

/// How often the loop looks at the signal flag.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

struct Greeter;

impl StreamHandler for Greeter {
    fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
        log::info!(
            "process {} serves {}",
            std::process::id(),
            req.client_address
        );
        let mut line = Vec::new();
        while req.rfile.read_until(b'\n', &mut line)? > 0 {
            if line.trim_ascii_end() == b"quit" {
                break;
            }
            let (text, line_end) = split_line_end(&line);
            match answer(text) {
                Some(answer) => req.wfile.write_all(&[answer, line_end].concat())?,
                None => req.wfile.write_all(&line)?,
            }
            line.clear();
        }
        log::info!("{} disconnected", req.client_address);
        Ok(())
    }
}

/// Exercise 12-6's answers; any other line is echoed.
fn answer(text: &[u8]) -> Option<&'static [u8]> {
    match text {
        b"Hello" => Some(b"Hello Client"),
        b"Good" => Some(b"Good Afternoon"),
        _ => None,
    }
}

/// A line's text and its end (`\n`, `\r\n` or none), which an answer keeps.
fn split_line_end(line: &[u8]) -> (&[u8], &[u8]) {
    let end = [&b"\r\n"[..], b"\n"]
        .into_iter()
        .find(|end| line.ends_with(end))
        .map_or(0, <[u8]>::len);
    line.split_at(line.len() - end)
}

fn main() -> socketserver::Result<()> {
    let args = Args::parse();
    common::init_logging(); // env_logger starts no thread
    let stop = common::stop_flag_on_signal();
    let server = TcpServer::builder()
        .timeout(Some(SIGNAL_CHECK))
        .bind(args.endpoint.addr(), || Greeter)?;
    let server = Forking::new(server);
    common::announce(server.local_addr()?);
    #[cfg(target_os = "linux")]
    debug_assert_eq!(
        std::fs::read_dir("/proc/self/task").map_or(1, Iterator::count),
        1,
        "a forking server must have no other thread"
    );
    while !stop.load(Ordering::Relaxed) {
        server.handle_request()?; // forks a child for a client, or times out
    }
    server.close_connections(); // idle clients' children see end-of-file
    Ok(()) // dropping the server waits for every child
}
