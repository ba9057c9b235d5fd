//! Ports `GUI_socket_server.py` and exercise 12-3 (lecture 001): each line is degrees
//! Celsius, the reply is Fahrenheit with one decimal (`36.6` -> `97.9`); `--udp` serves the
//! same over UDP, one datagram per request.
//!
//! Try: `cargo run --example temperature_server`, then `cargo run --example
//! temperature_client` and type `36.6`. With `--udp` on both sides, the same over UDP.
//!
//! Changed from the lecture, and why:
//! - Input that is not a number (`abc`, bytes that are not UTF-8) is answered
//!   `error: not a number: "abc"` and the connection goes on; the lecture's `float()`
//!   raised and killed the server.
//! - Many clients at once (exercise 12-3 (2)): `ThreadingTcpServer` instead of one
//!   `accept()`. Over UDP the plain `UdpServer` serves everyone: each request is one
//!   datagram answered at once, so no thread is ever waiting on a client.
//! - A request is a line (TCP) or a datagram (UDP), not a `recv(1024)` chunk. A UDP reply
//!   ends with a newline when the request did, so `nc -u` shows lines and a lecture client
//!   that sends `36.6` gets `97.9`.

mod common;

use clap::Parser;

/// Celsius to Fahrenheit server, over TCP or UDP.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
    /// Serve over UDP (default: TCP)
    #[arg(long)]
    udp: bool,
}

/// The reply to one request, without a line end.
fn fahrenheit(celsius: &[u8]) -> String {
    match common::text(celsius).map(str::trim) {
        Ok(text) => match text.parse::<f64>() {
            Ok(c) if c.is_finite() => format!("{:.1}", 9.0 / 5.0 * c + 32.0),
            _ => format!("error: not a number: {text:?}"),
        },
        Err(error) => error,
    }
}

fn main() {
    let args = Args::parse();
    common::serve_replies(&args.server, args.udp, fahrenheit);
}
