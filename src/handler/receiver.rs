//! Where a datagram request's buffers come from and go back to: the UDP and Unix datagram
//! servers receive into the buffers finished requests gave back, so a datagram costs no
//! allocation once the server has warmed up.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::DatagramSocket;
use crate::sys::DATAGRAM_BATCH;
use crate::Address;

/// A datagram as received; `packet` is `None` when it was longer than `max_packet_size`.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) packet: Option<Vec<u8>>,
    /// An empty buffer (with the capacity of an earlier reply) for `wfile`.
    pub(crate) reply: Vec<u8>,
    pub(crate) client_address: Address,
}

/// How many finished requests' buffers are kept for the next datagrams: as many as can
/// be in use at once on a busy concurrent server without keeping much memory.
const SPARE_BUFFERS: usize = 64;
/// A reply buffer that grew past this is dropped rather than kept.
const MAX_SPARE_REPLY: usize = 64 * 1024;

/// Receives datagrams for the UDP and Unix datagram kinds, into buffers that finished
/// requests give back: a datagram costs no allocation once the server has warmed up.
///
/// UDP datagrams come in batches (`recvmmsg`, up to [`DATAGRAM_BATCH`] a call): besides
/// saving calls on a busy server, a batch that comes back short says the queue is empty,
/// so the serving loop, which polls the socket edge-triggered, goes back to its poll
/// without the receive that would only have said `WouldBlock` (on a server with one
/// client, one system call in four).
#[derive(Debug)]
pub(crate) struct DatagramReceiver {
    pub(crate) socket: DatagramSocket,
    max_packet_size: usize,
    /// Packet and reply buffers of finished requests.
    spare: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
    /// What the serving thread has taken from the socket and not handed out yet.
    batch: Mutex<Batch>,
}

/// The serving thread's side of a [`DatagramReceiver`]: the buffers of one batch, of
/// which `next..len` hold datagrams not handed out yet.
#[derive(Debug, Default)]
struct Batch {
    packets: [Vec<u8>; DATAGRAM_BATCH],
    /// The reply buffers that go with the packets.
    replies: [Vec<u8>; DATAGRAM_BATCH],
    from: [Option<SocketAddr>; DATAGRAM_BATCH],
    next: usize,
    len: usize,
    /// The last batch came back short: the socket's queue was empty after it, and every
    /// datagram that came since has made the socket ready again for the caller's poll.
    drained: bool,
}

impl DatagramReceiver {
    pub(crate) fn new(socket: DatagramSocket, max_packet_size: usize) -> Arc<Self> {
        Arc::new(DatagramReceiver {
            socket,
            max_packet_size,
            spare: Mutex::new(Vec::new()),
            batch: Mutex::new(Batch::default()),
        })
    }

    fn spare(&self) -> MutexGuard<'_, Vec<(Vec<u8>, Vec<u8>)>> {
        // Pushes and pops of whole values cannot leave the list half-changed.
        self.spare.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn batch(&self) -> MutexGuard<'_, Batch> {
        // Only the serving thread locks it, and only around moves of whole values.
        self.batch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next datagram, without blocking: `WouldBlock` when none is waiting, or when
    /// the last batch emptied the socket's queue (the caller polls the socket before it
    /// asks again, and the poll reports any datagram that came since).
    pub(crate) fn receive(&self) -> io::Result<Received> {
        let DatagramSocket::Udp(socket) = &self.socket else {
            return self.receive_one();
        };
        let mut batch = self.batch();
        loop {
            let batch = &mut *batch;
            if batch.next < batch.len {
                let i = batch.next;
                batch.next += 1;
                let packet = std::mem::take(&mut batch.packets[i]);
                let reply = std::mem::take(&mut batch.replies[i]);
                match batch.from[i] {
                    Some(from) => return Ok(self.received(packet, reply, from.into())),
                    // A UDP socket receives from IP peers only.
                    None => self.recycle(packet, reply),
                }
                continue;
            }
            if std::mem::take(&mut batch.drained) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.receive_batch(batch, socket.as_raw_fd())?;
        }
    }

    /// Whether datagrams already taken from the socket wait to be handed out: a stopping
    /// server serves them rather than dropping them.
    pub(crate) fn has_queued(&self) -> bool {
        let batch = self.batch();
        batch.next < batch.len
    }

    /// Receives a batch of UDP datagrams into `batch`, once every datagram of the last
    /// one was handed out.
    fn receive_batch(&self, batch: &mut Batch, fd: RawFd) -> io::Result<()> {
        // The buffers handed out are replaced by ones finished requests gave back.
        if batch.len > 0 {
            let mut spare = self.spare();
            for i in 0..batch.len {
                (batch.packets[i], batch.replies[i]) = spare.pop().unwrap_or_default();
            }
        }
        batch.next = 0;
        batch.len = 0;
        // One byte more than `max_packet_size`, so that a longer datagram is detected
        // instead of silently truncated.
        let room = self.max_packet_size.saturating_add(1);
        let n = crate::sys::recv_datagrams(fd, &mut batch.packets, room, &mut batch.from)?;
        batch.len = n;
        batch.drained = n < DATAGRAM_BATCH;
        Ok(())
    }

    /// Receives one datagram (the Unix datagram kind: std's `recv_from` is the one that
    /// gives unnamed peers an address, and it takes one at a time).
    fn receive_one(&self) -> io::Result<Received> {
        let (mut packet, reply) = self.spare().pop().unwrap_or_default();
        let room = self.max_packet_size.saturating_add(1);
        match self.socket.recv_into(&mut packet, room) {
            Ok(address) => Ok(self.received(packet, reply, address)),
            Err(err) => {
                self.recycle(packet, reply);
                Err(err)
            }
        }
    }

    /// A received datagram, refused (its buffer kept) when it is longer than
    /// `max_packet_size`.
    fn received(&self, packet: Vec<u8>, reply: Vec<u8>, client_address: Address) -> Received {
        let packet = if packet.len() <= self.max_packet_size {
            Some(packet)
        } else {
            self.recycle(packet, Vec::new());
            None
        };
        Received {
            packet,
            reply,
            client_address,
        }
    }

    /// Keeps a finished request's buffers (emptied) for a next datagram.
    pub(crate) fn recycle(&self, mut packet: Vec<u8>, mut reply: Vec<u8>) {
        if reply.capacity() > MAX_SPARE_REPLY {
            reply = Vec::new();
        }
        packet.clear();
        reply.clear();
        let mut spare = self.spare();
        if spare.len() < SPARE_BUFFERS {
            spare.push((packet, reply));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    /// The next datagram of `receiver`, waiting for one.
    fn next(receiver: &DatagramReceiver) -> Received {
        loop {
            match receiver.receive() {
                Ok(received) => return received,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    crate::sys::wait_fd(receiver.socket.raw_fd(), libc::POLLIN, 10_000).unwrap();
                }
                Err(err) => panic!("{err}"),
            }
        }
    }

    #[test]
    fn finished_requests_buffers_take_the_next_datagrams() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let receiver = DatagramReceiver::new(DatagramSocket::Udp(socket), 8192);
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut buffers = std::collections::HashSet::new();
        for i in 0..3 * DATAGRAM_BATCH {
            let datagram = format!("datagram {i}");
            client.send_to(datagram.as_bytes(), addr).unwrap();
            let received = next(&receiver);
            let packet = received.packet.unwrap();
            assert_eq!(packet, datagram.as_bytes());
            assert!(packet.capacity() > 8192, "room for the largest");
            buffers.insert(packet.as_ptr());
            receiver.recycle(packet, received.reply);
        }
        assert!(
            buffers.len() <= DATAGRAM_BATCH,
            "{} buffers for one datagram at a time: finished ones are not reused",
            buffers.len()
        );
    }

    #[test]
    fn a_batch_hands_out_every_datagram_in_order() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let receiver = DatagramReceiver::new(DatagramSocket::Udp(socket), 100);
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let sent: Vec<Vec<u8>> = (0..2 * DATAGRAM_BATCH + 3)
            .map(|i| {
                if i == 5 {
                    vec![b'x'; 101]
                } else {
                    format!("{i}").into_bytes()
                }
            })
            .collect();
        for datagram in &sent {
            client.send_to(datagram, addr).unwrap();
        }
        for datagram in &sent {
            let received = next(&receiver);
            assert_eq!(received.client_address, client.local_addr().unwrap().into());
            match received.packet {
                Some(packet) => assert_eq!(&packet, datagram),
                None => assert_eq!(datagram.len(), 101, "only the one too long is refused"),
            }
        }
        assert!(!receiver.has_queued());
        let err = receiver.receive().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
}
