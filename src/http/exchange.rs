//! [`Exchange`]: what an [`HttpRequest`](super::HttpRequest) reads its body from and
//! writes its response to, so that one implementation of HTTP serves both kinds of
//! server: a blocking connection ([`StreamRequest`], the threading, pool, forking and
//! iterative servers) and an event-loop connection ([`HttpEvents`](super::HttpEvents),
//! whose input is already in memory and whose output is queued).

use std::fs::File;
use std::io::{self, BufRead, Write};

use crate::{Address, Connection, ServerInfo, SocketWriter, StreamRequest};

/// One connection as the HTTP layer uses it.
pub(crate) trait Exchange {
    /// Who sent the request.
    fn client_address(&self) -> &Address;
    /// The server the request came to.
    fn server(&self) -> &ServerInfo;
    /// The connected socket, where the handler may use it (not on the event loop, which
    /// owns its sockets).
    fn connection(&self) -> Option<&Connection>;
    /// The request's bytes after its head.
    fn rfile(&mut self) -> &mut dyn BufRead;
    /// Where the response goes.
    fn wfile(&mut self) -> &mut dyn FileSink;
}

/// A writer that can also send part of a file, without copying it through user space
/// where it can.
pub(crate) trait FileSink: Write {
    /// Sends `len` bytes of `file` from its current position, after what was written.
    fn send_file(&mut self, file: &File, len: u64) -> io::Result<()>;
}

impl FileSink for SocketWriter {
    fn send_file(&mut self, file: &File, len: u64) -> io::Result<()> {
        SocketWriter::send_file(self, file, len)
    }
}

impl Exchange for StreamRequest {
    fn client_address(&self) -> &Address {
        &self.client_address
    }

    fn server(&self) -> &ServerInfo {
        StreamRequest::server(self)
    }

    fn connection(&self) -> Option<&Connection> {
        Some(StreamRequest::connection(self))
    }

    fn rfile(&mut self) -> &mut dyn BufRead {
        &mut self.rfile
    }

    fn wfile(&mut self) -> &mut dyn FileSink {
        &mut self.wfile
    }
}
