//! Ports `GUI_socket_client.py` (lecture 001) and exercise 12-3 (3): each line you type is
//! degrees Celsius, sent to `temperature_server`; its Fahrenheit reply is printed.
//!
//! Try: `cargo run --example temperature_server`, then `echo 36.6 | cargo run --example
//! temperature_client` (prints `97.9`). Add `--udp` on both sides for UDP.
//!
//! Changed from the lecture: a terminal instead of tkinter, and the line is sent as typed:
//! the lecture's `float(entry1.get())` raised on `abc` before sending; here the server
//! answers the error. The lecture's receiving thread spun forever once the server closed
//! (`recv` returning `b''` again and again); here the client ends.

mod common;

use clap::Parser;

/// Temperature client: stdin Celsius lines, Fahrenheit replies on stdout.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Talk to the server over UDP (default: TCP)
    #[arg(long)]
    udp: bool,
}

fn main() {
    let args = Args::parse();
    common::init_logging();
    if args.udp {
        common::udp_line_client(args.endpoint.addr(), "", 1);
    } else {
        common::tcp_line_client(args.endpoint.addr(), "");
    }
}
