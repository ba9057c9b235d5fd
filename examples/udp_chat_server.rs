//! Ports `threading_UDP_chatserver.py` (lecture 001): remembers every address that sends a
//! datagram and relays each datagram to all the others; a datagram with the word `quit`
//! (`[alice] quit`) removes its sender.
//!
//! Try: `cargo run --example udp_chat_server`, then `cargo run --example udp_chat_client --
//! --id alice` and `... -- --id bob` in two more terminals, and type (a client hears the
//! others once it has said something: the server learns addresses from datagrams).
//!
//! Changed from the lecture, and why:
//! - No busy loop: the lecture's non-blocking socket with `except: pass` spins a core at
//!   100 %; the server's loop sleeps in the kernel until a datagram arrives.
//! - `quit` removes the sender for good (the lecture removed it and added it back on the
//!   next line), and the others still get the `quit` datagram: it tells them who left. It
//!   is the word `quit`, so `I quite agree` stays.
//! - A client that cannot be sent to is dropped instead of ending the relay.
//! - The client list is captured by the handler factory (`Arc<Mutex<..>>`), not a global.

mod common;

use std::sync::{Arc, Mutex};

use clap::Parser;
use socketserver::{Address, DatagramRequest, UdpServer};

/// UDP chat server: relays each datagram to the other known clients.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
}

fn main() {
    let args = Args::parse();
    let clients: Arc<Mutex<Vec<Address>>> = Arc::default();
    common::serve(UdpServer::builder(), &args.server, move || {
        let clients = Arc::clone(&clients);
        move |req: &mut DatagramRequest| {
            let (sender, packet) = (&req.client_address, req.packet());
            let mut clients = common::lock(&clients);
            let quits = packet.split(u8::is_ascii_whitespace).any(|w| w == b"quit");
            match (quits, clients.contains(sender)) {
                (true, false) => return Ok(()), // already gone
                (true, true) => clients.retain(|client| client != sender),
                (false, false) => clients.push(sender.clone()),
                (false, true) => {}
            }
            // The others hear it; a client that cannot be sent to is dropped.
            clients.retain(|c| c == sender || req.socket().send_to(packet, c).is_ok());
            Ok(())
        }
    });
}
