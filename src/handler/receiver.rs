//! Where a datagram request's buffers come from and go back to: the UDP and Unix datagram
//! servers receive into the buffers finished requests gave back, so a datagram costs no
//! allocation once the server has warmed up.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::DatagramSocket;
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
#[derive(Debug)]
pub(crate) struct DatagramReceiver {
    pub(crate) socket: DatagramSocket,
    max_packet_size: usize,
    /// Packet and reply buffers of finished requests.
    spare: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl DatagramReceiver {
    pub(crate) fn new(socket: DatagramSocket, max_packet_size: usize) -> Arc<Self> {
        Arc::new(DatagramReceiver {
            socket,
            max_packet_size,
            spare: Mutex::new(Vec::new()),
        })
    }

    fn spare(&self) -> MutexGuard<'_, Vec<(Vec<u8>, Vec<u8>)>> {
        // Pushes and pops of whole values cannot leave the list half-changed.
        self.spare.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn receive(&self) -> io::Result<Received> {
        let (mut packet, reply) = self.spare().pop().unwrap_or_default();
        // One byte more than `max_packet_size`, so that a longer datagram is detected
        // instead of silently truncated.
        let room = self.max_packet_size.saturating_add(1);
        let client_address = match self.socket.recv_into(&mut packet, room) {
            Ok(address) => address,
            Err(err) => {
                self.recycle(packet, reply);
                return Err(err);
            }
        };
        let packet = if packet.len() <= self.max_packet_size {
            Some(packet)
        } else {
            self.recycle(packet, Vec::new());
            None
        };
        Ok(Received {
            packet,
            reply,
            client_address,
        })
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

    #[test]
    fn a_finished_request_s_buffers_take_the_next_datagram() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let receiver = DatagramReceiver::new(DatagramSocket::Udp(socket), 8192);
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut seen = Vec::new();
        for datagram in [&b"first"[..], b"second, longer"] {
            client.send_to(datagram, addr).unwrap();
            let incoming = loop {
                match receiver.receive() {
                    Ok(incoming) => break incoming,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        crate::sys::wait_fd(receiver.socket.raw_fd(), libc::POLLIN, 10_000)
                            .unwrap();
                    }
                    Err(err) => panic!("{err}"),
                }
            };
            let packet = incoming.packet.unwrap();
            assert_eq!(packet, datagram);
            assert!(packet.capacity() > 8192, "room for the largest");
            seen.push(packet.as_ptr());
            receiver.recycle(packet, incoming.reply);
        }
        assert_eq!(
            seen[0], seen[1],
            "the second datagram went into the first's buffer"
        );
    }
}
