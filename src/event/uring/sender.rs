//! The loop's `flush` on the ring: a `Write` whose write starts a send, one per
//! connection at a time.

use std::io::{self, Write};

use super::{Uring, SEND_MAX};

impl Uring {
    /// A writer for connection `key` for the loop's `flush`.
    pub(crate) fn sender(&mut self, key: usize) -> Sender<'_> {
        Sender { uring: self, key }
    }
}

/// Connection `key`'s side of the ring as a `Write` for the loop's `flush`: a write
/// starts a send; while one is in flight the socket counts as full.
pub(crate) struct Sender<'a> {
    uring: &'a mut Uring,
    key: usize,
}

impl Write for Sender<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let key = self.key;
        let Some(io) = self.uring.conns.get_mut(key).and_then(Option::as_mut) else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        if let Some(err) = io.error.take() {
            io.eof = true;
            return Err(err);
        }
        // With no ring up, the next ring's start gives the writable edge.
        if io.sending || self.uring.ring.is_none() || self.uring.stopping {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = data.len().min(SEND_MAX);
        io.send.clear();
        io.send.extend_from_slice(&data[..n]);
        io.sent = 0;
        io.sending = true;
        self.uring.send_rest(key);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
