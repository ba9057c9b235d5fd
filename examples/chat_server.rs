//! Ports `GUI_ChatServer_Multi.py` and `threading_server.py` (lecture 001): a thread per
//! client; every line a client sends is relayed to every other client (`--echo-self`: to
//! the sender too).
//!
//! Try: `cargo run --example chat_server`, then `cargo run --example chat_client -- --name
//! alice` and `... -- --name bob` in two more terminals, and type.
//!
//! Changed from the lectures, and why:
//! - The client list is an `Arc<Mutex<..>>` captured by the handler factory, not a global
//!   mutated while other threads iterate it (`threading_server.py` removes from the list
//!   inside its `for` loop and sends to everyone, the sender included).
//! - Relaying never writes to a socket. Each client has a queue drained by its own writer
//!   thread (which sends all that is queued in one write); the relay only queues. A client
//!   1 MiB behind, with its socket buffers full as well, has stopped reading and is
//!   dropped, so a slow or dead client never blocks the others (in the lecture one stuck
//!   `sendall` stalls every sender).
//! - The handler's `setup`/`handle`/`finish` (socketserver's lifecycle) join, relay and
//!   leave: `finish` runs even when `handle` fails, so a broken connection always leaves.
//! - A message is a line, not a `recv(256)` chunk, so long lines arrive whole.

mod common;

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use socketserver::{Address, Connection, StreamHandler, StreamRequest, ThreadingTcpServer};

/// Threaded chat server: relays each line to the other clients.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Also send each line back to its sender (default: only to the others)
    #[arg(long)]
    echo_self: bool,
}

/// Bytes queued for one client past which it counts as not reading.
const MAX_BACKLOG: usize = 1 << 20;

/// How long a leaving client's writer may take to send what is still queued for it.
const DRAIN: Duration = Duration::from_secs(1);

/// A connected client: its queue (drained by its writer thread), how many bytes wait in
/// it, and its socket.
struct Peer {
    queue: Sender<Arc<[u8]>>,
    backlog: Arc<AtomicUsize>,
    socket: Connection,
}

type Peers = Arc<Mutex<HashMap<Address, Peer>>>;

struct Chat {
    peers: Peers,
    echo_self: bool,
    me: Option<Address>,
    /// Disconnects when this client's writer thread ends.
    writer_done: Option<Receiver<()>>,
}

impl StreamHandler for Chat {
    /// Joins: starts this client's writer thread and adds it to the list.
    fn setup(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let (socket, writer) = (req.connection().try_clone()?, req.connection().try_clone()?);
        let (queue, lines) = mpsc::channel::<Arc<[u8]>>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let written = Arc::clone(&backlog);
        let (done, writer_done) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let _done = done;
            // Ends when the client leaves (the queue closes) or its socket fails.
            for line in &lines {
                let mut batch = line.to_vec();
                for more in lines.try_iter() {
                    batch.extend_from_slice(&more);
                    if batch.len() >= 1 << 16 {
                        break; // a flood keeps the queue full: send what we have
                    }
                }
                if (&writer).write_all(&batch).is_err() {
                    break;
                }
                written.fetch_sub(batch.len(), Relaxed);
            }
        });
        let me = req.client_address.clone();
        log::info!("{me} joined");
        let peer = Peer {
            queue,
            backlog,
            socket,
        };
        common::lock(&self.peers).insert(me.clone(), peer);
        self.me = Some(me);
        self.writer_done = Some(writer_done);
        Ok(())
    }

    /// Relays each line the client sends.
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut line = Vec::new();
        while req.rfile.read_until(b'\n', &mut line)? > 0 {
            if !line.ends_with(b"\n") {
                line.push(b'\n'); // the last line of a client that did not end it
            }
            self.relay(line.as_slice().into());
            line.clear();
        }
        Ok(())
    }

    /// Leaves, however `handle` ended.
    fn finish(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        if let Some(me) = self.me.take() {
            common::lock(&self.peers).remove(&me); // closes the queue
            log::info!("{me} left");
        }
        // A client that half-closed still reads: let its writer send what is queued
        // before the server closes the socket, but do not wait on one that never reads.
        if let Some(done) = self.writer_done.take() {
            let _ = done.recv_timeout(DRAIN);
        }
        Ok(())
    }
}

impl Chat {
    /// Queues `line` for the others (and the sender with `--echo-self`); drops every
    /// client that is too far behind or whose writer has stopped.
    fn relay(&self, line: Arc<[u8]>) {
        common::lock(&self.peers).retain(|addr, peer| {
            if self.me.as_ref() == Some(addr) && !self.echo_self {
                return true;
            }
            let behind = peer.backlog.fetch_add(line.len(), Relaxed);
            let queued = behind <= MAX_BACKLOG && peer.queue.send(Arc::clone(&line)).is_ok();
            if !queued {
                log::warn!("{addr} is not reading ({behind} bytes behind): dropped");
                let _ = peer.socket.shutdown(Shutdown::Both); // its handler sees end-of-file
            }
            queued
        });
    }
}

fn main() -> socketserver::Result<()> {
    let args = Args::parse();
    common::init_logging();
    let peers = Peers::default();
    let server = ThreadingTcpServer::bind(args.endpoint.addr(), move || Chat {
        peers: Arc::clone(&peers),
        echo_self: args.echo_self,
        me: None,
        writer_done: None,
    })?;
    common::stop_on_signal(server.shutdown_handle());
    common::announce(server.local_addr()?);
    server.serve_forever()?;
    server.close_connections(); // idle clients: their handlers see end-of-file
    Ok(())
}
