//! A connection's output waiting for the socket to take it.

use std::io::{self, Write};

/// The largest buffer an emptied queue keeps.
const KEPT_OUTPUT: usize = 512;

/// Output waiting for the socket to accept it (the select lectures' per-socket message
/// queue), as one contiguous buffer written from `head` on.
#[derive(Debug, Default)]
pub(crate) struct WriteQueue {
    buf: Vec<u8>,
    head: usize,
}

impl WriteQueue {
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.head
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&mut self, data: &[u8]) {
        // Moving the unwritten tail to the front once most of the buffer is written keeps
        // the copying amortised O(1) per byte and the buffer no larger than twice its
        // contents.
        if self.head > 0 && self.head >= self.buf.len() / 2 {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Writes until the queue is empty or the socket would block; returns the bytes
    /// written. A queue left non-empty means the socket is full.
    pub(crate) fn write_to(&mut self, socket: &mut impl Write) -> io::Result<usize> {
        let mut written = 0;
        while self.head < self.buf.len() {
            match socket.write(&self.buf[self.head..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.head += n;
                    written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.head == self.buf.len() {
            self.release();
        }
        Ok(written)
    }

    /// Empties the buffer. One that held only a small reply is kept for the next (an
    /// echo then allocates nothing per round trip, for a few dozen bytes per idle
    /// connection); a larger one is freed, so a connection that is not sending holds
    /// little output memory.
    fn release(&mut self) {
        if self.buf.capacity() <= KEPT_OUTPUT {
            self.buf.clear();
        } else {
            self.buf = Vec::new();
        }
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket that takes at most `room` bytes, then would block.
    struct Narrow {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Narrow {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = data.len().min(self.room).min(3);
            self.room -= n;
            self.got.extend_from_slice(&data[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn queue_keeps_order_across_partial_writes_and_frees_when_empty() {
        let mut queue = WriteQueue::default();
        let mut socket = Narrow {
            room: 5,
            got: Vec::new(),
        };
        queue.push(b"hello ");
        assert_eq!(queue.write_to(&mut socket).unwrap(), 5);
        queue.push(b"world");
        assert_eq!(queue.len(), 6);
        socket.room = 100;
        assert_eq!(queue.write_to(&mut socket).unwrap(), 6);
        assert_eq!(socket.got, b"hello world");
        assert!(queue.is_empty());
        assert!(queue.buf.capacity() <= KEPT_OUTPUT);
    }

    #[test]
    fn an_emptied_queue_keeps_a_small_buffer_and_frees_a_large_one() {
        let mut socket = Narrow {
            room: usize::MAX,
            got: Vec::new(),
        };
        let mut queue = WriteQueue::default();
        queue.push(&[b'x'; 64]);
        queue.write_to(&mut socket).unwrap();
        assert!(queue.is_empty() && queue.buf.capacity() >= 64);
        queue.push(&vec![b'y'; KEPT_OUTPUT + 1]);
        queue.write_to(&mut socket).unwrap();
        assert!(queue.is_empty());
        assert_eq!(queue.buf.capacity(), 0);
        assert_eq!(socket.got.len(), 64 + KEPT_OUTPUT + 1);
    }
}
