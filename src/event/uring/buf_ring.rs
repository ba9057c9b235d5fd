//! The receive buffers of the ring backend and the ring through which they are lent to
//! the kernel (`IORING_REGISTER_PBUF_RING`): the kernel picks a free buffer for each
//! receive, the loop gives it back once the handler has seen the bytes.

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
        };
        for bid in 0..BUFFERS {
            bufs.push(bid);
        }
        bufs.publish();
        Ok(bufs)
    }

    /// Puts buffer `bid` back in the ring (visible to the kernel after `publish`).
    pub(super) fn push(&mut self, bid: u16) {
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

    /// Makes the pushed buffers visible to the kernel.
    pub(super) fn publish(&self) {
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
        // SAFETY: allocated with this layout in `new`; the ring is unregistered (the
        // io_uring is gone, `Uring`'s drop waited for its operations) before this runs.
        unsafe { alloc::dealloc(self.ring.cast(), self.layout) };
    }
}
