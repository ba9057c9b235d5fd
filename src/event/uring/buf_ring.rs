//! The receive buffers of the ring backend and the ring through which they are lent to
//! the kernel (`IORING_REGISTER_PBUF_RING`): the kernel picks a free buffer for each
//! receive, the loop gives it back once the handler has seen the bytes.
//!
//! The kernel takes buffers in the ring's order, so a ring holding every free buffer
//! would cycle through all of them and, in time, back all 16 MiB with memory. Instead
//! the ring holds about as many buffers as there are receives armed, and the free ones
//! wait on a stack: the buffer given back last is lent next, so a single busy connection
//! keeps reusing the same one or two (their pages already backed and in cache).

use std::alloc::{self, Layout};
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;

use super::{BUFFERS, BUFFER_SIZE};

/// The receive buffers and the ring through which they are lent to the kernel.
pub(super) struct BufRing {
    /// The ring of `BUFFERS` entries, page-aligned as the kernel requires.
    ring: *mut BufRingEntry,
    layout: Layout,
    /// The buffers themselves, `BUFFER_SIZE` bytes each; never reallocated.
    data: Box<[u8]>,
    /// The next entry to fill (the ring's tail, which the kernel reads).
    tail: u16,
    /// Buffers in the ring, not yet taken by a receive.
    lent: usize,
    /// Buffers neither in the ring nor holding received bytes; the last given back on top.
    free: Vec<u16>,
}

// SAFETY: the ring memory is owned by this value alone (the kernel aside, which does not
// care which thread the loop runs on); the loop moves between threads only as a whole,
// behind the mode's mutex.
unsafe impl Send for BufRing {}

impl BufRing {
    pub(super) fn new() -> io::Result<Self> {
        let layout = Layout::from_size_align(
            usize::from(BUFFERS) * std::mem::size_of::<BufRingEntry>(),
            4096,
        )
        .map_err(io::Error::other)?;
        // SAFETY: the layout has a non-zero size.
        let ring = unsafe { alloc::alloc_zeroed(layout) }.cast::<BufRingEntry>();
        if ring.is_null() {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let mut bufs = BufRing {
            ring,
            layout,
            data: vec![0; usize::from(BUFFERS) * BUFFER_SIZE].into_boxed_slice(),
            tail: 0,
            lent: 0,
            free: Vec::with_capacity(usize::from(BUFFERS)),
        };
        bufs.reset(|_| false);
        Ok(bufs)
    }

    /// Buffer `bid` is free again: lent before the others when the ring needs one.
    pub(super) fn give(&mut self, bid: u16) {
        self.free.push(bid);
    }

    /// A receive took one of the ring's buffers.
    pub(super) fn took(&mut self) {
        self.lent = self.lent.saturating_sub(1);
    }

    /// Lends free buffers until the ring holds `want` (as many as free ones allow).
    pub(super) fn lend(&mut self, want: usize) {
        if self.lent >= want {
            return;
        }
        while self.lent < want {
            let Some(bid) = self.free.pop() else { break };
            self.push(bid);
            self.lent += 1;
        }
        self.publish();
    }

    /// Some buffer is free or in the ring: a receive armed now can get one.
    pub(super) fn any(&self) -> bool {
        self.lent > 0 || !self.free.is_empty()
    }

    /// Writes buffer `bid` into the ring's next entry (visible to the kernel after
    /// `publish`).
    fn push(&mut self, bid: u16) {
        let index = usize::from(self.tail & (BUFFERS - 1));
        let offset = usize::from(bid) * BUFFER_SIZE;
        // SAFETY: `index < BUFFERS`, inside the allocation; the kernel reads only entries
        // between its head and the published tail, and this one is past the tail.
        let entry = unsafe { &mut *self.ring.add(index) };
        entry.set_addr(self.data[offset..].as_ptr() as u64);
        entry.set_len(BUFFER_SIZE as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Empties the ring, for a new registration (whose head starts at 0): every buffer
    /// that is not `held` is free.
    pub(super) fn reset(&mut self, held: impl Fn(u16) -> bool) {
        self.tail = 0;
        self.lent = 0;
        self.free.clear();
        // Lowest ids on top, so the first lent are the first in memory.
        self.free
            .extend((0..BUFFERS).rev().filter(|&bid| !held(bid)));
        // The memory still holds the last registration's tail.
        self.publish();
    }

    /// Makes the pushed buffers visible to the kernel.
    fn publish(&self) {
        // SAFETY: the ring's tail is the `resv` field of its first entry, a u16 aligned
        // as an AtomicU16; the kernel reads it concurrently, hence the atomic store, with
        // Release so the entries written before are seen before the tail.
        unsafe {
            let tail = BufRingEntry::tail(self.ring).cast_mut().cast::<AtomicU16>();
            (*tail).store(self.tail, Ordering::Release);
        }
    }

    pub(super) fn buffer(&self, bid: u16) -> &[u8] {
        let offset = usize::from(bid) * BUFFER_SIZE;
        &self.data[offset..offset + BUFFER_SIZE]
    }
}

impl BufRing {
    /// Where the ring is, for registering it with the kernel.
    pub(super) fn address(&self) -> u64 {
        self.ring as u64
    }

    /// The kernel may still write into the ring and the buffers (operations left in
    /// flight at close): they are leaked, never freed.
    pub(super) fn leak(&mut self) {
        std::mem::forget(std::mem::replace(&mut self.data, Box::new([])));
        self.ring = std::ptr::NonNull::dangling().as_ptr();
        self.layout = Layout::new::<()>();
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        if self.layout.size() == 0 {
            return; // leaked
        }
        // SAFETY: allocated with this layout in `new`; the ring is unregistered (the
        // io_uring is gone, `Uring`'s drop waited for its operations) before this runs.
        unsafe { alloc::dealloc(self.ring.cast(), self.layout) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry the kernel would take at ring position `index`.
    fn entry_bid(bufs: &BufRing, index: u16) -> u16 {
        // SAFETY: `index` is below `BUFFERS`, inside the ring's allocation.
        unsafe { (*bufs.ring.add(usize::from(index))).bid() }
    }

    #[test]
    fn the_buffer_given_back_last_is_lent_first() {
        let mut bufs = BufRing::new().unwrap();
        bufs.lend(2);
        assert_eq!((entry_bid(&bufs, 0), entry_bid(&bufs, 1)), (0, 1));
        bufs.took();
        bufs.took();
        bufs.give(0);
        bufs.give(1);
        bufs.lend(1);
        assert_eq!(entry_bid(&bufs, 2), 1);
        assert!(bufs.any());
    }

    #[test]
    fn the_ring_lends_no_more_than_asked_nor_than_it_has() {
        let mut bufs = BufRing::new().unwrap();
        bufs.reset(|bid| bid != 7);
        bufs.lend(3);
        assert_eq!(bufs.lent, 1);
        assert_eq!(entry_bid(&bufs, 0), 7);
        bufs.took();
        assert!(!bufs.any());
    }

    #[test]
    fn a_leaked_ring_is_dropped_without_freeing() {
        let mut bufs = BufRing::new().unwrap();
        bufs.leak();
        drop(bufs);
    }
}
