//! [`Clients`]: the lectures' list of connected clients (`clients.append(conn)`, then a
//! `for c in clients: c.send(msg)` to everyone else), made safe for threads.
//!
//! The lecture's version mutates the list while other threads iterate it, and one client
//! that stops reading blocks the `send` of every other. Here each member has a bounded
//! queue and a writer thread of its own that sends what is queued; a broadcast only
//! queues, so it never blocks on a slow client, and a client that falls too far behind
//! (its queue over the limit: it has stopped reading) is disconnected and dropped, not
//! waited for.

use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use std::{fmt, io, thread};

use crate::handler::Stream;
use crate::{Address, StreamRequest};

/// Bytes queued for one client, by default, past which it counts as not reading.
pub const DEFAULT_QUEUE_LIMIT: usize = 1 << 20;

/// How long a leaving member's writer may take to send what is still queued for it.
const LEAVE_DRAIN: Duration = Duration::from_secs(1);

/// The connected clients of a stream server, for relaying: clone it into the handler
/// factory, and each handler [`join`](Self::join)s with its request.
///
/// ```
/// use socketserver::clients::Clients;
/// use socketserver::{StreamRequest, ThreadingTcpServer};
/// use std::io::{BufRead, BufReader, Write};
///
/// let clients = Clients::new();
/// let server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
///     let clients = clients.clone();
///     move |req: &mut StreamRequest| {
///         let me = clients.join(req)?; // leaves when `me` is dropped
///         let mut line = Vec::new();
///         while req.rfile.read_until(b'\n', &mut line)? > 0 {
///             me.broadcast(&line); // to everyone else
///             line.clear();
///         }
///         Ok(())
///     }
/// })?;
/// let addr = server.local_addr()?;
/// let stop = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.run());
///
/// let mut alice = std::net::TcpStream::connect(addr)?;
/// let bob = std::net::TcpStream::connect(addr)?;
/// let mut bob = BufReader::new(bob);
/// // Alice speaks until bob, once he has joined, hears her.
/// let mut heard = String::new();
/// bob.get_ref().set_read_timeout(Some(std::time::Duration::from_millis(50)))?;
/// while heard.is_empty() {
///     alice.write_all(b"hi bob\n")?;
///     let _ = bob.read_line(&mut heard);
/// }
/// assert_eq!(heard, "hi bob\n");
///
/// stop.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Clients {
    shared: Arc<Shared>,
}

struct Shared {
    members: Mutex<HashMap<u64, Member>>,
    next_id: AtomicU64,
    queue_limit: usize,
}

/// One client, as the list keeps it.
struct Member {
    address: Address,
    queue: Sender<Arc<[u8]>>,
    /// Bytes queued and not yet sent.
    backlog: Arc<AtomicUsize>,
    stream: Arc<Stream>,
}

impl Default for Clients {
    fn default() -> Self {
        Clients::new()
    }
}

impl Clients {
    /// An empty list; each member may have [`DEFAULT_QUEUE_LIMIT`] bytes queued.
    pub fn new() -> Self {
        Clients::with_queue_limit(DEFAULT_QUEUE_LIMIT)
    }

    /// An empty list whose members are dropped once more than `bytes` are queued for
    /// them (they are not reading).
    pub fn with_queue_limit(bytes: usize) -> Self {
        Clients {
            shared: Arc::new(Shared {
                members: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(0),
                queue_limit: bytes,
            }),
        }
    }

    fn members(&self) -> MutexGuard<'_, HashMap<u64, Member>> {
        // Inserts and removes cannot leave the map half-changed.
        self.shared
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the request's client to the list and starts its writer. The client leaves
    /// when the returned [`Membership`] is dropped (when the handler returns, however it
    /// returns).
    pub fn join(&self, request: &StreamRequest) -> io::Result<Membership> {
        let stream = Arc::clone(request.stream());
        let (queue, lines) = mpsc::channel::<Arc<[u8]>>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let (done, writer_done) = mpsc::channel::<()>();
        let writer = Writer {
            stream: Arc::clone(&stream),
            backlog: Arc::clone(&backlog),
        };
        thread::Builder::new()
            .name("clients-writer".to_owned())
            .spawn(move || {
                let _done = done;
                writer.run(lines);
            })?;
        let id = self.shared.next_id.fetch_add(1, Relaxed);
        let address = request.client_address.clone();
        log::info!("{address} joined");
        self.members().insert(
            id,
            Member {
                address: address.clone(),
                queue,
                backlog,
                stream,
            },
        );
        Ok(Membership {
            clients: self.clone(),
            id,
            address,
            writer_done,
        })
    }

    /// Queues `data` for every member; returns how many it was queued for.
    pub fn broadcast(&self, data: &[u8]) -> usize {
        self.relay(data, None)
    }

    /// How many clients are in the list.
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `data` for every member but `except`; drops every member that is too far
    /// behind or whose writer has stopped.
    fn relay(&self, data: &[u8], except: Option<u64>) -> usize {
        let data: Arc<[u8]> = data.into();
        let limit = self.shared.queue_limit;
        let mut reached = 0;
        self.members().retain(|&id, member| {
            if Some(id) == except {
                return true;
            }
            let behind = member.backlog.fetch_add(data.len(), Relaxed);
            let queued = behind <= limit && member.queue.send(Arc::clone(&data)).is_ok();
            if queued {
                reached += 1;
            } else {
                log::warn!(
                    "{} is not reading ({behind} bytes behind): dropped",
                    member.address
                );
                // Its handler sees end-of-file and leaves; its writer's send fails.
                let _ = member.stream.connection.shutdown(Shutdown::Both);
            }
            queued
        });
        reached
    }
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("len", &self.len())
            .field("queue_limit", &self.shared.queue_limit)
            .finish()
    }
}

/// A client's place in [`Clients`]; dropping it leaves the list.
pub struct Membership {
    clients: Clients,
    id: u64,
    address: Address,
    writer_done: Receiver<()>,
}

impl Membership {
    /// Queues `data` for every other member; returns how many it was queued for.
    pub fn broadcast(&self, data: &[u8]) -> usize {
        self.clients.relay(data, Some(self.id))
    }

    /// Queues `data` for every member, this one included.
    pub fn broadcast_all(&self, data: &[u8]) -> usize {
        self.clients.relay(data, None)
    }

    /// The member's client address.
    pub fn address(&self) -> &Address {
        &self.address
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        // Removing the member closes its queue: the writer sends what is left and ends.
        self.clients.members().remove(&self.id);
        log::info!("{} left", self.address);
        // A client that half-closed still reads: let its writer send what is queued,
        // but do not wait on one that never reads.
        let _ = self.writer_done.recv_timeout(LEAVE_DRAIN);
    }
}

impl fmt::Debug for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Membership")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// A member's writer thread: sends its queue, as much as is waiting in one send.
struct Writer {
    stream: Arc<Stream>,
    backlog: Arc<AtomicUsize>,
}

impl Writer {
    /// Ends when the member leaves (the queue closes) or its socket fails.
    fn run(self, lines: Receiver<Arc<[u8]>>) {
        for line in &lines {
            let mut batch = line.to_vec();
            for more in lines.try_iter() {
                batch.extend_from_slice(&more);
                if batch.len() >= 1 << 16 {
                    break; // a flood keeps the queue full: send what we have
                }
            }
            if self.stream.send(&batch).is_err() {
                return;
            }
            self.backlog.fetch_sub(batch.len(), Relaxed);
        }
    }
}
