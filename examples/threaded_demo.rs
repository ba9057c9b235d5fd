//! Ports socketserver's `ThreadingMixIn` demo (lecture 002): a `ThreadingTcpServer` on
//! port 0 serves in a background thread, three clients each send a message, and each reply
//! names the thread that served it; then the server shuts down and the program exits.
//!
//! Try: `cargo run --example threaded_demo`. Three different handler threads answer, none
//! of them the serving loop's.
//!
//! Changed from the lecture: handler threads are named `request-N` where Python says
//! `Thread-N (process_request_thread)`. `shutdown()` wakes the loop at once instead of at
//! its next 0.5 s poll.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

use clap::Parser;
use socketserver::{StreamRequest, ThreadingTcpServer};

/// Runs a threading server and three clients against it, then stops.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: common::ServerArgs<0>,
}

/// Sends `message` as one line and returns the reply line.
fn client(addr: SocketAddr, message: &str) -> std::io::Result<String> {
    let mut sock = TcpStream::connect(addr)?;
    writeln!(sock, "{message}")?;
    let mut response = String::new();
    BufReader::new(sock).read_line(&mut response)?;
    Ok(response.trim_end().to_owned())
}

fn main() -> socketserver::Result<()> {
    let args = Args::parse();
    common::init_logging();
    let builder = args.server.configure(ThreadingTcpServer::builder());
    let server = builder.bind(args.server.endpoint.addr(), || {
        |req: &mut StreamRequest| {
            let mut data = String::new();
            req.rfile.read_line(&mut data)?;
            let name = thread::current().name().unwrap_or("unnamed").to_owned();
            writeln!(req.wfile, "{name}: {}", data.trim_end())
        }
    })?;
    let addr = server.local_addr()?;
    let handle = server.shutdown_handle();
    common::announce(addr);
    // The thread owns the server: `run` serves until the shutdown below, then waits for
    // the handlers to finish.
    let server_thread = thread::Builder::new()
        .name("server".into())
        .spawn(move || server.run())?;
    println!("Server loop running in thread: server");
    let run_clients = || -> std::io::Result<()> {
        for n in 1..=3 {
            println!("Received: {}", client(addr, &format!("Hello World {n}"))?);
        }
        Ok(())
    };
    let clients = run_clients();
    handle.shutdown();
    server_thread.join().expect("the serving thread panicked")?;
    Ok(clients?)
}
