//! Thin entry points for the fuzz targets in `fuzz/` and the property tests (feature
//! `fuzzing`; not part of the documented API, and no stability promise).
//!
//! Each function takes arbitrary bytes, drives one of the crate's parsers or I/O paths
//! with them the way a server does, and panics when an invariant breaks: a panic is what
//! a fuzzer reports. Bytes at the start of the input choose the knobs (limits, how the
//! stream is cut into reads), so one corpus explores them too. Whatever goes over a
//! socket goes over a `socketpair` or loopback made here: nothing leaves the machine.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use crate::handler::Stream;
use crate::server::ShutdownHandle;
use crate::{Address, Connection, ServerInfo, StreamRequest};

mod datagram;
#[cfg(feature = "http")]
mod http;
mod lines;
mod proxy;
#[cfg(feature = "tls")]
mod tls;

pub use datagram::datagrams;
#[cfg(feature = "http")]
pub use http::{check_responses, http_body_framing, http_connection, http_request_head};
pub use lines::{
    event_loop_lines, expected_event_loop_lines, line_framing, reference_lines, rfile_lines, Lines,
};
pub use proxy::proxy_header;
#[cfg(feature = "tls")]
pub use tls::{tls_config, tls_setup};

/// How long one input may take on a socket before the target calls it a hang.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A little deterministic generator, seeded from the input, for cutting it into pieces.
#[derive(Debug, Clone)]
pub struct Splitter(u64);

impl Splitter {
    /// A generator seeded with `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Splitter(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    /// The next piece length, 1 to `max`.
    pub fn next_len(&mut self, max: usize) -> usize {
        // xorshift64: enough to vary the cuts, reproducible from the input.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        1 + (self.0 % max.max(1) as u64) as usize
    }

    /// `data` cut into pieces of 1 to `max` bytes.
    pub fn split<'a>(&mut self, mut data: &'a [u8], max: usize) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        while !data.is_empty() {
            let (piece, rest) = data.split_at(self.next_len(max).min(data.len()));
            pieces.push(piece);
            data = rest;
        }
        pieces
    }
}

/// Takes the first byte of `data` (0 when empty) and returns it with the rest.
fn take_byte(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, data),
    }
}

/// The server identity a request needs; one per process.
fn server_info() -> Arc<ServerInfo> {
    static INFO: OnceLock<Arc<ServerInfo>> = OnceLock::new();
    let info = INFO.get_or_init(|| {
        let state = crate::server::ShutdownState::new()
            .expect("a wake-up descriptor for the fuzzing server identity");
        Arc::new(ServerInfo {
            server_address: Address::Inet(([127, 0, 0, 1], 0).into()),
            shutdown: ShutdownHandle::new(Arc::new(state)),
        })
    });
    Arc::clone(info)
}

/// A [`StreamRequest`] on one end of a socketpair, and the other end (the client).
fn stream_pair(rbufsize: usize, wbufsize: usize) -> (StreamRequest, UnixStream) {
    let (server, client) = UnixStream::pair().expect("a socketpair");
    server.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    server.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    client.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    client.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let peer = server.peer_addr().expect("a socketpair's peer address");
    let stream = Arc::new(Stream::new(Connection::Unix(server), wbufsize));
    let request = StreamRequest::new(stream, Address::Unix(peer), rbufsize, server_info(), 0);
    (request, client)
}

/// Starts the client side: writes `pieces` (one write each), shuts its write half, and
/// reads everything the server sends until the server closes.
fn client(mut socket: UnixStream, pieces: Vec<Vec<u8>>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut reader = socket.try_clone().expect("a second handle");
        let writer = thread::spawn(move || {
            for piece in pieces {
                if socket.write_all(&piece).is_err() {
                    break; // the server closed early: fine, what it sent is checked
                }
            }
            let _ = socket.shutdown(Shutdown::Write);
        });
        let mut output = Vec::new();
        match reader.read_to_end(&mut output) {
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
            Err(err) => panic!("the server neither answered nor closed: {err}"),
        }
        let _ = writer.join();
        output
    })
}
