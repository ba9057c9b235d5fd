//! What the datagram kinds (UDP and Unix datagram) share: receiving a datagram without
//! truncating it, and sending the handler's reply after `finish` (Python's
//! `DatagramRequestHandler.finish`).

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use super::kind::RequestContext;
use super::options::DatagramOptions;
use crate::handler::DatagramSocket;
use crate::{Address, DatagramRequest, Error, Result};

/// A received datagram; `packet` is `None` when it was longer than `max_packet_size`.
#[derive(Debug)]
pub struct DatagramIncoming {
    pub(crate) packet: Option<Vec<u8>>,
    pub(crate) client_address: Address,
    pub(crate) socket: Arc<DatagramSocket>,
}

impl DatagramIncoming {
    pub(crate) fn open(self, context: &RequestContext<DatagramOptions>) -> Result<DatagramRequest> {
        match self.packet {
            Some(packet) => Ok(DatagramRequest::new(
                packet,
                self.client_address,
                self.socket,
                Arc::clone(&context.server),
            )),
            None => Err(Error::DatagramTooLarge {
                max_packet_size: context.options.max_packet_size,
            }),
        }
    }
}

/// Sends the reply the handler left in `wfile` (nothing when it is empty).
pub(crate) fn end(mut request: DatagramRequest, report: &mut dyn FnMut(Error)) {
    if let Err(err) = request.send_reply() {
        report(Error::Io(err));
    }
}

/// Receives datagrams for the UDP and Unix datagram kinds.
#[derive(Debug)]
pub(crate) struct DatagramReceiver {
    pub(crate) socket: Arc<DatagramSocket>,
    max_packet_size: usize,
    /// One byte longer than `max_packet_size`, so that a longer datagram is detected
    /// instead of silently truncated. Only the serving thread uses it.
    buffer: Mutex<Vec<u8>>,
}

impl DatagramReceiver {
    pub(crate) fn new(socket: DatagramSocket, options: &DatagramOptions) -> Self {
        DatagramReceiver {
            socket: Arc::new(socket),
            max_packet_size: options.max_packet_size,
            buffer: Mutex::new(vec![0; options.max_packet_size.saturating_add(1)]),
        }
    }

    pub(crate) fn receive(&self) -> io::Result<DatagramIncoming> {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let (len, client_address) = self.socket.recv_from(&mut buffer)?;
        let packet = (len <= self.max_packet_size).then(|| buffer[..len].to_vec());
        Ok(DatagramIncoming {
            packet,
            client_address,
            socket: Arc::clone(&self.socket),
        })
    }
}
