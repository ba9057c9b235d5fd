//! Ports `threading_UDP_client.py` (lecture 001): sends `[ID] line` for each line you type
//! and prints every datagram the server relays, from a receiving thread.
//!
//! Try: `cargo run --example udp_chat_server`, then `cargo run --example udp_chat_client --
//! --id alice` and `... -- --id bob` in two more terminals, and type.
//!
//! Changed from the lecture: an error (no server listening) ends the client with a
//! message instead of `except: continue` retrying it forever; only the server's datagrams
//! are taken (the socket is connected); at the end of input the client says `[ID] quit`,
//! so the server forgets it.

mod common;

use clap::Parser;

/// UDP chat client: stdin lines go out as `[ID] line`; relayed datagrams are printed.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Your name in the chat
    #[arg(long, default_value = "guest")]
    id: String,
}

fn main() {
    let args = Args::parse();
    common::init_logging();
    let prefix = format!("[{}] ", args.id);
    let socket = common::udp_line_client(args.endpoint.addr(), &prefix, 0);
    if let Err(err) = socket.send(format!("{prefix}quit").as_bytes()) {
        common::fail("saying goodbye", err);
    }
}
