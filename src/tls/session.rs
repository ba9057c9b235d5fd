//! [`TlsSession`]: one connection's TLS state for the blocking servers: the handshake
//! (bounded by the handshake timeout), then reads and writes through rustls on the
//! connection's blocking socket; and [`TlsInfo`], what a handler may read of the session.
//!
//! A connection's reader and writer may be on two threads (a relay writes to a client
//! while its handler waits for input), and rustls keeps one state for both directions. So
//! the state is behind a mutex that a reader never holds while it waits: it receives the
//! socket's bytes into an inbox of its own first (one blocking `read`, honouring the
//! socket's read timeout), then locks the state and decrypts them. One system call per
//! arrival, as without TLS: waiting with `poll` first and reading after cost two.

use std::io::{self, BufRead, Write};
use std::os::fd::AsRawFd;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use rustls::ServerConnection;

use super::TlsConfig;
use crate::{Connection, Error};

/// What a handler may read of a TLS session: [`StreamRequest::tls`](crate::StreamRequest::tls).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The server name the client asked for (SNI), if it sent one.
    pub server_name: Option<String>,
    /// The protocol agreed with ALPN, if any.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The client's certificate chain, DER-encoded, its own certificate first (mutual
    /// TLS); empty when it sent none.
    pub peer_certificates: Vec<Vec<u8>>,
    /// `"TLSv1.3"` or `"TLSv1.2"`.
    pub protocol_version: &'static str,
    /// The cipher suite, as rustls names it (`TLS13_AES_128_GCM_SHA256`, ...).
    pub cipher_suite: String,
}

/// A connection's TLS state.
#[derive(Debug)]
pub(crate) struct TlsSession {
    state: Mutex<ServerConnection>,
    /// Received bytes not yet given to rustls; only the reader locks it.
    inbox: Mutex<Inbox>,
    info: TlsInfo,
}

/// Bytes read from the socket, `start..` of them still to decrypt.
#[derive(Debug, Default)]
struct Inbox {
    bytes: Vec<u8>,
    start: usize,
}

/// What the inbox reads at once: a whole TLS record (16 KiB and its overhead) fits.
const INBOX: usize = 16 * 1024 + 2048 + 5;

impl TlsSession {
    /// Runs the handshake on `connection` (a blocking socket), within the configuration's
    /// handshake timeout. A client that stalls, speaks plaintext or sends garbage fails
    /// with an error that says so.
    pub(crate) fn handshake(connection: &Connection, config: &TlsConfig) -> Result<Self, Error> {
        let failed = |why: String| Error::Tls(why);
        let mut state = ServerConnection::new(config.current())
            .map_err(|err| failed(format!("cannot start a TLS session: {err}")))?;
        let deadline = Instant::now() + config.timeout();
        let mut io = connection;
        while state.is_handshaking() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(failed(format!(
                    "handshake not finished within {:?}",
                    config.timeout()
                )));
            }
            connection.set_read_timeout(Some(left)).map_err(Error::Io)?;
            connection
                .set_write_timeout(Some(left))
                .map_err(Error::Io)?;
            match state.complete_io(&mut io) {
                Ok((0, 0)) if state.is_handshaking() => {
                    return Err(failed("the client closed during the handshake".into()));
                }
                Ok(_) => {}
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(failed(format!(
                        "handshake not finished within {:?}",
                        config.timeout()
                    )));
                }
                Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                    // rustls answers with an alert; whatever it says is what went wrong.
                    let _ = state.write_tls(&mut io);
                    return Err(failed(format!("not a TLS handshake: {err}")));
                }
                Err(err) => return Err(Error::Io(err)),
            }
        }
        let info = info(&state);
        Ok(TlsSession {
            state: Mutex::new(state),
            inbox: Mutex::new(Inbox::default()),
            info,
        })
    }

    pub(crate) fn info(&self) -> &TlsInfo {
        &self.info
    }

    fn state(&self) -> MutexGuard<'_, ServerConnection> {
        // rustls leaves its state consistent between calls; a panic in a handler cannot
        // happen while the lock is held (no handler code runs under it).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads plaintext into the spare capacity of `buf` (at most `max` bytes); 0 at the
    /// end of the stream (the client's close_notify, or the socket's end). The socket's
    /// read timeout bounds the wait (`WouldBlock` past it).
    pub(crate) fn read(
        &self,
        connection: &Connection,
        buf: &mut Vec<u8>,
        max: usize,
    ) -> io::Result<usize> {
        loop {
            {
                let mut state = self.state();
                let mut reader = state.reader();
                // The decrypted bytes are copied from rustls' buffer straight into `buf`:
                // no `read` into a zeroed slice (zeroing `max` bytes per read was half of
                // a small echo's instructions).
                match reader.fill_buf() {
                    Ok(chunk) => {
                        // Empty: the client's close_notify, after everything it sent.
                        let n = chunk.len().min(max);
                        buf.extend_from_slice(&chunk[..n]);
                        reader.consume(n);
                        return Ok(n);
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) => return Err(err),
                }
            }
            // Nothing decrypted waits: receive without holding the state, so a writer on
            // another thread goes on meanwhile.
            let mut inbox = self.inbox.lock().unwrap_or_else(PoisonError::into_inner);
            if inbox.start == inbox.bytes.len() {
                inbox.bytes.clear();
                inbox.start = 0;
                inbox.bytes.reserve(INBOX);
                match crate::sys::read_into_spare(connection.as_raw_fd(), &mut inbox.bytes, INBOX) {
                    Ok(0) => return Ok(0), // the socket ended without close_notify
                    Ok(_) => {}
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                }
            }
            let inbox = &mut *inbox;
            let mut state = self.state();
            let mut pending = &inbox.bytes[inbox.start..];
            let taken = state.read_tls(&mut pending)?;
            inbox.start += taken;
            let processed = state.process_new_packets();
            // An alert or a key update may be owed to the client.
            let mut io = connection;
            while state.wants_write() {
                state.write_tls(&mut io)?;
            }
            if let Err(err) = processed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, err));
            }
        }
    }

    /// Encrypts and sends every slice.
    pub(crate) fn write_all(&self, connection: &Connection, slices: &[&[u8]]) -> io::Result<()> {
        let mut state = self.state();
        let mut io = connection;
        for slice in slices {
            let mut rest = *slice;
            while !rest.is_empty() {
                // rustls takes what fits in its send buffer and encrypts it...
                let taken = state.writer().write(rest)?;
                rest = &rest[taken..];
                // ...which goes to the socket before more is taken.
                while state.wants_write() {
                    state.write_tls(&mut io)?;
                }
            }
        }
        Ok(())
    }

    /// Tells the client the stream ends (close_notify), before the socket's write half
    /// is shut down.
    pub(crate) fn close(&self, connection: &Connection) {
        let mut state = self.state();
        state.send_close_notify();
        let mut io = connection;
        while state.wants_write() {
            if state.write_tls(&mut io).is_err() {
                return;
            }
        }
    }
}

/// What a handler may ask of an established session.
pub(crate) fn info(state: &ServerConnection) -> TlsInfo {
    TlsInfo {
        server_name: state.server_name().map(str::to_owned),
        alpn_protocol: state.alpn_protocol().map(<[u8]>::to_vec),
        peer_certificates: state
            .peer_certificates()
            .map(|chain| chain.iter().map(|cert| cert.to_vec()).collect())
            .unwrap_or_default(),
        protocol_version: match state.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "TLS",
        },
        cipher_suite: state
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite()))
            .unwrap_or_default(),
    }
}
