//! What the datagram kinds (UDP and Unix datagram) share: receiving a datagram without
//! truncating it, and sending the handler's reply after `finish` (Python's
//! `DatagramRequestHandler.finish`).

use std::io;
use std::sync::Arc;

use super::kind::RequestContext;
use super::options::DatagramOptions;
use crate::handler::{DatagramReceiver, Received};
use crate::{Address, DatagramRequest, Error, Result};

/// A received datagram; `packet` is `None` when it was longer than `max_packet_size`.
#[derive(Debug)]
pub struct DatagramIncoming {
    pub(crate) packet: Option<Vec<u8>>,
    /// An empty buffer (with the capacity of an earlier reply) for `wfile`.
    pub(crate) reply: Vec<u8>,
    pub(crate) client_address: Address,
    pub(crate) receiver: Arc<DatagramReceiver>,
}

impl DatagramIncoming {
    pub(crate) fn open(self, context: &RequestContext<DatagramOptions>) -> Result<DatagramRequest> {
        match self.packet {
            Some(packet) => Ok(DatagramRequest::new(
                packet,
                self.reply,
                self.client_address,
                self.receiver,
                Arc::clone(&context.server),
            )),
            None => Err(Error::DatagramTooLarge {
                max_packet_size: context.options.max_packet_size,
            }),
        }
    }
}

/// Sends the reply the handler left in `wfile` (nothing when it is empty), and keeps the
/// request's buffers for the next datagram.
pub(crate) fn end(mut request: DatagramRequest, report: &mut dyn FnMut(Error)) {
    if let Err(err) = request.send_reply() {
        report(Error::Io(err));
    }
    request.recycle();
}

/// The next datagram of `receiver`, as a request to open.
pub(crate) fn receive(receiver: &Arc<DatagramReceiver>) -> io::Result<DatagramIncoming> {
    let Received {
        packet,
        reply,
        client_address,
    } = receiver.receive()?;
    Ok(DatagramIncoming {
        packet,
        reply,
        client_address,
        receiver: Arc::clone(receiver),
    })
}
