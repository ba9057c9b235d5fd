//! One connection as the event loop keeps it: the socket, the write queue, the unfinished
//! input line and the flags that say what the loop may do with it next.
//!
//! This is all an idle connection costs in user space (about 150 bytes): there is no read
//! buffer per connection (the loop has one for everyone) and an empty queue owns no memory.

use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;

use super::lines::LineBuffer;
use super::write_queue::WriteQueue;

/// A connection in the loop's table.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) socket: TcpStream,
    pub(crate) peer: SocketAddr,
    /// Never reused, unlike the table slot: tells a stale `ConnectionId` from a new client.
    pub(crate) serial: u64,
    pub(crate) out: WriteQueue,
    pub(crate) lines: LineBuffer,
    /// When bytes last moved either way (for the idle timeout).
    pub(crate) last_active: Instant,
    /// The loop turn in which `on_drained` last ran, so a handler that refills its queue
    /// from `on_drained` gets called again next turn rather than in a loop now.
    pub(crate) drained_turn: u64,
    pub(crate) flags: Flags,
    /// The TLS session, with a TLS configuration: boxed, so a plaintext connection pays
    /// one pointer for it.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Box<super::tls::EventTls>>,
    /// The PROXY header, with `proxy_protocol`: boxed, as `tls` is.
    pub(crate) proxy: Option<Box<ProxyState>>,
}

/// What the loop knows and has promised about a connection.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Flags {
    /// The socket reported readable and has not yet returned `WouldBlock` (edge-triggered
    /// readiness is not reported again until it has).
    pub(crate) wants_read: bool,
    /// The socket took every write since it last returned `WouldBlock`.
    pub(crate) can_write: bool,
    /// Reading stopped because too much output is queued (backpressure).
    pub(crate) paused: bool,
    /// The poller reported the client's end-of-file (or an error) with the last event:
    /// sticky, because that edge is not reported again once the data before it is read.
    pub(crate) hup: bool,
    /// The handler saw end-of-file.
    pub(crate) read_closed: bool,
    /// Bytes have come from the client (a graceful stop ends such a connection's reads at
    /// once, and gives one that is still silent a moment).
    pub(crate) received: bool,
    /// The handler called `close`: finish writing, then close.
    pub(crate) closing: bool,
    /// Closed, waiting to be removed: events and sends are ignored.
    pub(crate) dead: bool,
    /// Listed in the table's `ready` list.
    pub(crate) in_ready: bool,
    /// Listed in the table's `dirty` list.
    pub(crate) in_dirty: bool,
    /// `on_drained` is owed (deferred to the next turn).
    pub(crate) owes_drained: bool,
}

impl Conn {
    pub(crate) fn new(socket: TcpStream, peer: SocketAddr, serial: u64, now: Instant) -> Self {
        Conn {
            socket,
            peer,
            serial,
            out: WriteQueue::default(),
            lines: LineBuffer::new(),
            last_active: now,
            drained_turn: 0,
            flags: Flags {
                // A new socket's send buffer is empty: a greeting goes out at once.
                can_write: true,
                ..Flags::default()
            },
            #[cfg(feature = "tls")]
            tls: None,
            proxy: None,
        }
    }

    /// Whether the handler's input has ended (by the client or by `close`) and nothing
    /// is left to write: the connection can go.
    pub(crate) fn is_finished(&self) -> bool {
        (self.flags.read_closed || self.flags.closing)
            && self.out.is_empty()
            && !self.flags.owes_drained
    }

    /// Whether `on_connect` has run: at once, or once the PROXY header is read and the
    /// TLS handshake done.
    pub(crate) fn is_established(&self) -> bool {
        if self
            .proxy
            .as_ref()
            .is_some_and(|proxy| proxy.header.is_none())
        {
            return false;
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return tls.is_established();
        }
        true
    }

    /// When the connection's setup (PROXY header, TLS handshake) must be done by.
    pub(crate) fn setup_deadline(&self) -> Option<Instant> {
        if let Some(deadline) = self.proxy.as_ref().and_then(|proxy| proxy.deadline) {
            return Some(deadline);
        }
        #[cfg(feature = "tls")]
        if let Some(deadline) = self.tls.as_ref().and_then(|tls| tls.deadline) {
            return Some(deadline);
        }
        None
    }

    /// Whether reading may go on now.
    pub(crate) fn may_read(&self) -> bool {
        let f = self.flags;
        f.wants_read && !f.paused && !f.read_closed && !f.closing && !f.dead
    }
}

/// One connection's PROXY state.
#[derive(Debug)]
pub(crate) struct ProxyState {
    /// The start of the header, while it is incomplete.
    pub(super) buf: Vec<u8>,
    /// Until the header is whole: when it must be.
    pub(crate) deadline: Option<Instant>,
    /// The header, once whole.
    pub(crate) header: Option<crate::proxy::ProxyHeader>,
}

impl ProxyState {
    pub(crate) fn new(deadline: Instant) -> Self {
        ProxyState {
            buf: Vec::new(),
            deadline: Some(deadline),
            header: None,
        }
    }
}
