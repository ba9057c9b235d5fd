//! Ports socketserver's `UDPServer` example (lecture 002): each datagram is sent back to
//! whoever sent it, from the server's socket (`self.request[1].sendto(data, addr)`).
//!
//! Try: `cargo run --example udp_echo_server`, then `nc -u 127.0.0.1 2500` and type.

mod common;

use clap::Parser;
use socketserver::{DatagramRequest, UdpServer};

/// UDP echo server.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs,
}

fn main() {
    let args = Args::parse();
    common::serve(UdpServer::builder(), &args.server, || {
        |req: &mut DatagramRequest| {
            // send_to rather than wfile: an empty datagram comes back too.
            req.socket().send_to(req.packet(), &req.client_address)?;
            Ok(())
        }
    });
}
