//! [`Context`]: what a handler callback can do — queue output for its own connection or
//! any other, close, look at its queue — and [`ConnectionId`], the name of a connection.

use std::fmt;
use std::net::SocketAddr;

use super::lines::LineBuffer;
use super::table::Table;
use crate::ShutdownHandle;

/// Names one connection of an event-loop server for its whole life.
///
/// A closed connection's id never names a later connection, so a stale id stored in
/// application state reaches nobody ([`Context::send_to`] returns `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId {
    /// First, so ids order by acceptance.
    serial: u64,
    key: usize,
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.serial)
    }
}

/// A callback's view of its connection and of the server's other connections.
///
/// Nothing here blocks or does I/O: [`send`](Self::send) queues bytes and the loop writes
/// them when the socket can take them; [`close`](Self::close) takes effect once the
/// queued output is out.
pub struct Context<'a> {
    table: &'a mut Table,
    key: usize,
}

impl<'a> Context<'a> {
    pub(crate) fn new(table: &'a mut Table, key: usize) -> Self {
        Context { table, key }
    }

    /// This connection's id.
    pub fn id(&self) -> ConnectionId {
        ConnectionId {
            serial: self.table.conns[self.key].serial,
            key: self.key,
        }
    }

    /// The client's address (with the PROXY protocol: the one its header gives).
    pub fn peer_addr(&self) -> SocketAddr {
        self.table.conns[self.key].peer
    }

    /// Queues `data` for this connection's client. Never blocks and never fails; bytes
    /// sent after [`close`](Self::close), or from `on_close`, are dropped.
    ///
    /// The queue is not limited here: the server stops *reading* from a connection while
    /// its queue holds the output limit or more, which bounds a handler that writes no
    /// more than it reads (an echo). A handler that writes much more than it reads (a
    /// file download) should send in pieces from
    /// [`on_drained`](super::EventHandler::on_drained).
    pub fn send(&mut self, data: &[u8]) {
        let Table {
            conns,
            pending,
            shared,
            ..
        } = &mut *self.table;
        pending.enqueue(shared, &mut conns[self.key], self.key, data, false);
    }

    /// [`send`](Self::send) of `len` bytes that `fill` writes in place in the queue (the
    /// HTTP layer's pieces of a large file, read straight into it). An error from `fill`
    /// queues nothing and is returned.
    #[cfg(feature = "http")]
    pub(crate) fn send_filled(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let Table {
            conns,
            pending,
            shared,
            ..
        } = &mut *self.table;
        pending
            .enqueue_filled(shared, &mut conns[self.key], self.key, len, fill)
            .map(drop)
    }

    /// Queues `data` for another connection (or this one). Returns `false` when that
    /// connection is gone or closing.
    ///
    /// A connection whose queue would grow past the server's slow-reader limit is closed
    /// instead (and reported through `handle_error`): its client does not read fast enough
    /// to keep up, and waiting for it would make every sender wait too.
    pub fn send_to(&mut self, to: ConnectionId, data: &[u8]) -> bool {
        let Table {
            conns,
            pending,
            shared,
            ..
        } = &mut *self.table;
        match conns.get_mut(to.key) {
            Some(conn) if conn.serial == to.serial => {
                pending.enqueue(shared, conn, to.key, data, to.key != self.key)
            }
            _ => false,
        }
    }

    /// Queues `data` for every other open connection, as [`send_to`](Self::send_to)
    /// does; returns how many it was queued for.
    pub fn broadcast(&mut self, data: &[u8]) -> usize {
        let Table {
            conns,
            pending,
            shared,
            ..
        } = &mut *self.table;
        let mut reached = 0;
        for (key, conn) in conns.iter_mut() {
            if key != self.key && pending.enqueue(shared, conn, key, data, true) {
                reached += 1;
            }
        }
        reached
    }

    /// Closes this connection once its queued output has been written. No more data is
    /// read from it; `on_close` follows.
    pub fn close(&mut self) {
        let Table { conns, pending, .. } = &mut *self.table;
        let conn = &mut conns[self.key];
        conn.flags.closing = true;
        // The flush that follows the callback sees the flag and closes when the queue is empty.
        pending.mark_dirty(conn, self.key);
    }

    /// Whether this connection is closing ([`close`](Self::close) was called, or it failed
    /// or is being closed by the server).
    pub fn is_closing(&self) -> bool {
        let flags = self.table.conns[self.key].flags;
        flags.closing || flags.dead
    }

    /// The PROXY protocol header the connection began with, on a server with
    /// [`proxy_protocol`](crate::ServerBuilder::proxy_protocol). Its source is already
    /// [`peer_addr`](Self::peer_addr).
    pub fn proxy_header(&self) -> Option<&crate::proxy::ProxyHeader> {
        self.table.conns[self.key].proxy.as_ref()?.header.as_ref()
    }

    /// The TLS session, when the server has a TLS configuration (feature `tls`): the
    /// server name the client asked for, the ALPN protocol, the client's certificate.
    /// Callbacks run only once the handshake is done, so it is always there then.
    #[cfg(feature = "tls")]
    pub fn tls(&self) -> Option<&crate::tls::TlsInfo> {
        self.table.conns[self.key].tls.as_ref()?.info()
    }

    /// Bytes queued for this connection and not yet taken by its socket (with TLS, the
    /// encrypted bytes).
    pub fn queued_len(&self) -> usize {
        self.table.conns[self.key].out.len()
    }

    /// How many connections are open, this one included (unless it is closing).
    pub fn connection_count(&self) -> usize {
        self.table.pending.live
    }

    /// The ids of every open connection, this one included (unless it is closing).
    pub fn connection_ids(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.table
            .conns
            .iter()
            .filter(|(_, conn)| !conn.flags.dead)
            .map(|(key, conn)| ConnectionId {
                serial: conn.serial,
                key,
            })
    }

    /// The longest line the default line framing accepts, in bytes before the `\n`.
    pub fn max_line_length(&self) -> usize {
        self.table.shared.limits.max_line_length
    }

    /// Stops the server's `serve_forever` (from a callback too: it does not deadlock).
    pub fn shutdown_handle(&self) -> &ShutdownHandle {
        &self.table.shared.shutdown
    }

    /// The server the connection came to: its address and a shutdown handle (what
    /// [`StreamRequest::server`](crate::StreamRequest::server) is to a blocking handler).
    pub fn server(&self) -> &std::sync::Arc<crate::ServerInfo> {
        &self.table.shared.server
    }

    /// Reports `err` for this connection through the server's `handle_error`, as a failed
    /// callback is, without closing it: for a layer (HTTP) that answers the client first.
    #[cfg(feature = "http")]
    pub(crate) fn report(&self, err: &crate::Error) {
        self.table.shared.report(self.peer_addr(), err);
    }

    /// Lends this connection's unfinished input line to the default line framing.
    pub(crate) fn take_lines(&mut self) -> LineBuffer {
        std::mem::take(&mut self.table.conns[self.key].lines)
    }

    pub(crate) fn restore_lines(&mut self, lines: LineBuffer) {
        self.table.conns[self.key].lines = lines;
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id())
            .field("peer_addr", &self.peer_addr())
            .field("queued_len", &self.queued_len())
            .finish_non_exhaustive()
    }
}
