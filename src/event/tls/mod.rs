//! TLS in the event loop: rustls' state machine driven without blocking. Bytes the loop
//! reads go in (`receive`), plaintext comes out for the handler (`plaintext`), what a
//! callback sends is encrypted into the connection's write queue (`encrypt`), and what
//! rustls owes the client (handshake messages, alerts, close_notify) is queued as well
//! (`owed`). The handshake is bounded by the configuration's timeout, which the loop
//! enforces with `deadline`; `on_connect` runs once it is done.

mod turn;

use std::io::{self, Read, Write};
use std::time::Instant;

use rustls::ServerConnection;

use super::write_queue::WriteQueue;
use crate::tls::{TlsConfig, TlsInfo};
use crate::Error;

/// The loop's TLS state.
#[derive(Debug, Default)]
pub(crate) struct LoopTls {
    /// Decrypted input is handed to the handlers from here: one buffer for the loop, as
    /// the read buffer is, made on the first TLS connection.
    plain_buf: Vec<u8>,
}

/// One connection's TLS state.
#[derive(Debug)]
pub(crate) struct EventTls {
    state: ServerConnection,
    /// Until the handshake is done: when it must be.
    pub(crate) deadline: Option<Instant>,
    /// The session's details, once the handshake is done.
    info: Option<TlsInfo>,
    /// close_notify was queued.
    closed: bool,
}

impl EventTls {
    pub(crate) fn new(config: &TlsConfig, now: Instant) -> Result<Self, Error> {
        let state = ServerConnection::new(config.current())
            .map_err(|err| Error::Tls(format!("cannot start a TLS session: {err}")))?;
        Ok(EventTls {
            state,
            deadline: Some(now + config.timeout()),
            info: None,
            closed: false,
        })
    }

    /// Takes the TLS records at the front of `data` (as much as rustls buffers at once,
    /// advancing `data`) and decrypts them; what rustls owes the client is queued on
    /// `out`. Returns whether this completed the handshake. Take the plaintext out before
    /// giving it more: rustls holds only so much of it.
    ///
    /// Fails when the bytes are not TLS (a plaintext or garbage client) or the handshake
    /// is refused; the alert rustls owes is queued first.
    pub(crate) fn receive(
        &mut self,
        data: &mut &[u8],
        out: &mut WriteQueue,
    ) -> Result<bool, Error> {
        self.state
            .read_tls(data)
            .map_err(|err| Error::Tls(format!("reading TLS records: {err}")))?;
        let processed = self.state.process_new_packets();
        self.owed(out);
        if let Err(err) = processed {
            let what = if self.state.is_handshaking() {
                "not a TLS handshake"
            } else {
                "bad TLS record"
            };
            return Err(Error::Tls(format!("{what}: {err}")));
        }
        if self.info.is_none() && !self.state.is_handshaking() {
            self.deadline = None;
            self.info = Some(crate::tls::info(&self.state));
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether the handshake is done (the handler may be told the connection is there).
    pub(crate) fn is_established(&self) -> bool {
        self.info.is_some()
    }

    pub(crate) fn info(&self) -> Option<&TlsInfo> {
        self.info.as_ref()
    }

    /// Decrypted bytes, at most `buf.len()`: `Some(0)` when none wait, `None` once the
    /// client has ended the stream (close_notify).
    pub(crate) fn plaintext(&mut self, buf: &mut [u8]) -> Option<usize> {
        match self.state.reader().read(buf) {
            Ok(0) => None,
            Ok(n) => Some(n),
            Err(_) => Some(0), // WouldBlock: nothing decrypted waits
        }
    }

    /// Encrypts `data` into the write queue.
    pub(crate) fn encrypt(&mut self, mut data: &[u8], out: &mut WriteQueue) {
        while !data.is_empty() {
            match self.state.writer().write(data) {
                Ok(0) | Err(_) => {
                    // Its buffer is full: queue what it has encrypted, then go on.
                    if !self.state.wants_write() {
                        return;
                    }
                }
                Ok(n) => data = &data[n..],
            }
            self.owed(out);
        }
        self.owed(out);
    }

    /// Queues what rustls has to send: encrypted data, handshake messages, alerts.
    pub(crate) fn owed(&mut self, out: &mut WriteQueue) {
        while self.state.wants_write() {
            if self.state.write_tls(out).is_err() {
                return;
            }
        }
    }

    /// Queues close_notify, once; returns whether it queued anything.
    pub(crate) fn close(&mut self, out: &mut WriteQueue) -> bool {
        if self.closed {
            return false;
        }
        self.closed = true;
        self.state.send_close_notify();
        let before = out.len();
        self.owed(out);
        out.len() > before
    }
}

impl Write for WriteQueue {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.push(data);
        Ok(data.len())
    }

    /// rustls hands over every record it has at once: all of them are queued in one call
    /// (the default would take only the first).
    fn write_vectored(&mut self, records: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut queued = 0;
        for record in records {
            self.push(record);
            queued += record.len();
        }
        Ok(queued)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
