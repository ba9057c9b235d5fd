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
//! another thread holds stays locked in the child). The server's `stop_on_signals`
//! starts none: its SIGINT/SIGTERM handler writes one value to the loop's wake-up
//! descriptor, and the loop stops at once. Then the server stops accepting, asks its
//! children to end their requests (idle clients' children read end-of-file, a reply in
//! progress goes out), waits for them (a child that cannot finish within the drain
//! timeout is killed), and exits 0.

mod common;

use clap::Parser;
use socketserver::{ForkingTcpServer, StreamRequest};

/// Echo server with a child process per client.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
}

fn main() {
    let args = Args::parse();
    common::serve(ForkingTcpServer::builder(), &args.server, || {
        |req: &mut StreamRequest| {
            let pid = std::process::id();
            log::info!("process {pid} serves {}", req.client_address);
            // Exercise 12-6's answers; any other line is echoed.
            common::echo_lines(req, |text| match text {
                b"Hello" => b"Hello Client",
                b"Good" => b"Good Afternoon",
                other => other,
            })
        }
    });
}
