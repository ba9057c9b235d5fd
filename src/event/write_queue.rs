//! A connection's output waiting for the socket to take it, and the loop's spare output
//! buffers.

use std::io::{self, Write};

/// The largest buffer an emptied queue keeps.
const KEPT_OUTPUT: usize = 512;
/// How many emptied larger buffers a loop keeps for the next replies, and how large each
/// may be (a file server's piece of a large file): at most 2 MiB per loop, whatever the
/// number of connections.
const SPARES: usize = 8;
const SPARE_CAPACITY: usize = 256 * 1024;

/// Emptied output buffers, shared by a loop's connections. A reply larger than a queue
/// keeps ([`KEPT_OUTPUT`]) would otherwise cost an allocation and a free per reply, and
/// glibc consolidates its free lists on every allocation of a kilobyte or more: for a
/// small file's answer, that was a quarter of the server's user-space instructions.
#[derive(Debug, Default)]
pub(crate) struct Spares {
    bufs: Vec<Vec<u8>>,
}

impl Spares {
    /// The smallest spare that holds `len` bytes, else the largest (which then grows).
    fn take(&mut self, len: usize) -> Option<Vec<u8>> {
        let fits = |b: &&Vec<u8>| b.capacity() >= len;
        let best = match self.bufs.iter().filter(fits).min_by_key(|b| b.capacity()) {
            Some(fitting) => fitting.capacity(),
            None => self.bufs.iter().map(Vec::capacity).max()?,
        };
        let at = self.bufs.iter().position(|b| b.capacity() == best)?;
        Some(self.bufs.swap_remove(at))
    }

    fn put(&mut self, buf: Vec<u8>) {
        if self.bufs.len() < SPARES && buf.capacity() <= SPARE_CAPACITY {
            self.bufs.push(buf);
        }
    }
}

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

    /// [`push`](Self::push), into a spare buffer when an empty queue's own is too small.
    pub(crate) fn push_reusing(&mut self, data: &[u8], spares: &mut Spares) {
        self.make_room(data.len(), spares);
        self.push(data);
    }

    /// An empty queue whose buffer cannot hold `len` bytes takes a spare one instead.
    fn make_room(&mut self, len: usize, spares: &mut Spares) {
        if self.is_empty() && self.buf.capacity() < len {
            if let Some(buf) = spares.take(len) {
                self.buf = buf;
                self.head = 0;
            }
        }
    }

    /// Gives an emptied queue's larger buffer to `spares` (or frees it), keeping a small
    /// one: call after [`write_to`](Self::write_to).
    pub(crate) fn recycle(&mut self, spares: &mut Spares) {
        if self.is_empty() && self.buf.capacity() > KEPT_OUTPUT {
            spares.put(std::mem::take(&mut self.buf));
            self.head = 0;
        }
    }

    /// Appends `len` bytes that `fill` writes in place: a file's piece read straight into
    /// the queue rather than through a buffer of its own and a copy. On an error nothing
    /// is appended.
    #[cfg(feature = "http")]
    pub(crate) fn push_filled(
        &mut self,
        len: usize,
        spares: &mut Spares,
        fill: impl FnOnce(&mut [u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        self.make_room(len, spares);
        self.compact();
        let start = self.buf.len();
        self.buf.resize(start + len, 0);
        fill(&mut self.buf[start..]).inspect_err(|_| self.buf.truncate(start))
    }

    pub(crate) fn push(&mut self, data: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(data);
    }

    /// Moving the unwritten tail to the front once most of the buffer is written keeps the
    /// copying amortised O(1) per byte and the buffer no larger than twice its contents.
    fn compact(&mut self) {
        if self.head > 0 && self.head >= self.buf.len() / 2 {
            self.buf.drain(..self.head);
            self.head = 0;
        }
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
    /// connection); a larger one waits for [`recycle`](Self::recycle), which hands it to
    /// the loop's spares, so a connection that is not sending holds little output memory.
    fn release(&mut self) {
        self.buf.clear();
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
    fn an_emptied_queue_keeps_a_small_buffer_and_gives_a_large_one_to_the_spares() {
        let mut socket = Narrow {
            room: usize::MAX,
            got: Vec::new(),
        };
        let mut spares = Spares::default();
        let mut queue = WriteQueue::default();
        queue.push_reusing(&[b'x'; 64], &mut spares);
        queue.write_to(&mut socket).unwrap();
        queue.recycle(&mut spares);
        assert!(queue.is_empty() && queue.buf.capacity() >= 64);
        assert!(spares.bufs.is_empty());
        queue.push_reusing(&vec![b'y'; KEPT_OUTPUT + 1], &mut spares);
        queue.write_to(&mut socket).unwrap();
        queue.recycle(&mut spares);
        assert!(queue.is_empty());
        assert_eq!(queue.buf.capacity(), 0);
        assert_eq!(socket.got.len(), 64 + KEPT_OUTPUT + 1);
        // Another connection's large reply goes into that buffer: no allocation.
        let mut other = WriteQueue::default();
        other.push_reusing(&vec![b'z'; KEPT_OUTPUT + 1], &mut spares);
        assert!(spares.bufs.is_empty());
        assert_eq!(other.len(), KEPT_OUTPUT + 1);
    }

    #[test]
    fn spares_are_bounded_in_number_and_size() {
        let mut spares = Spares::default();
        for _ in 0..SPARES + 4 {
            spares.put(Vec::with_capacity(1024));
        }
        spares.put(Vec::with_capacity(SPARE_CAPACITY + 1));
        assert_eq!(spares.bufs.len(), SPARES);
        assert!(spares.bufs.iter().all(|b| b.capacity() <= SPARE_CAPACITY));
    }

    #[test]
    fn a_spare_that_fits_is_taken_before_one_that_would_grow() {
        let mut spares = Spares::default();
        for capacity in [2048, 200_000, 1024] {
            spares.put(Vec::with_capacity(capacity));
        }
        assert!(spares.take(1500).unwrap().capacity() >= 2048);
        assert!(spares.take(150_000).unwrap().capacity() >= 200_000);
        // None fits: the largest left, to grow.
        assert!(spares.take(300_000).unwrap().capacity() >= 1024);
        assert!(spares.take(1).is_none());
    }

    #[cfg(feature = "http")]
    #[test]
    fn a_filled_push_appends_in_place_and_a_failed_one_appends_nothing() {
        let mut spares = Spares::default();
        let mut queue = WriteQueue::default();
        queue.push(b"head ");
        queue
            .push_filled(4, &mut spares, |buf| {
                buf.copy_from_slice(b"body");
                Ok(())
            })
            .unwrap();
        let failed = queue.push_filled(3, &mut spares, |_| Err(io::ErrorKind::Other.into()));
        assert!(failed.is_err());
        let mut socket = Narrow {
            room: usize::MAX,
            got: Vec::new(),
        };
        queue.write_to(&mut socket).unwrap();
        assert_eq!(socket.got, b"head body");
    }
}
