//! The TLS target (feature `tls`): the event loop's TLS server side and the blocking
//! modes' handshake fed arbitrary client bytes.

use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::{client, take_byte, Splitter, IO_TIMEOUT};
use crate::Connection;

/// Fuzz target `tls_setup`: the event loop's TLS server side (rustls as the crate
/// configures it) fed the input as client bytes, cut into reads: it answers, fails with
/// a TLS error, or waits for more; never panics or queues without bound. With the top bit
/// of the first byte set, the blocking modes' handshake instead
/// (`tls_blocking_handshake`).
pub fn tls_setup(config: &crate::tls::TlsConfig, data: &[u8]) {
    use crate::event::{EventTls, WriteQueue};

    let (seed, data) = take_byte(data);
    if seed & 0x80 != 0 {
        return tls_blocking_handshake(config, seed, data);
    }
    let mut tls = EventTls::new(config, std::time::Instant::now()).expect("a TLS session");
    let mut out = WriteQueue::default();
    let mut plain = [0; 4096];
    for piece in Splitter::new(u64::from(seed)).split(data, 1 + usize::from(seed) * 8) {
        let mut piece = piece;
        let mut rounds = 0;
        let failed = loop {
            if piece.is_empty() {
                break false;
            }
            rounds += 1;
            assert!(rounds < 100_000, "rustls takes no bytes");
            match tls.receive(&mut piece, &mut out) {
                Ok(_) => {}
                Err(crate::Error::Tls(why)) => {
                    assert!(!why.is_empty());
                    break true;
                }
                Err(other) => panic!("not a TLS error: {other}"),
            }
            while let Some(n) = tls.plaintext(&mut plain) {
                if n == 0 {
                    break;
                }
            }
        };
        assert!(
            out.len() < 1 << 20,
            "{} bytes queued for the client",
            out.len()
        );
        if failed {
            return;
        }
    }
    if tls.is_established() {
        tls.encrypt(b"hello\n", &mut out);
    }
    tls.close(&mut out);
}

/// The blocking modes' handshake (`TlsSession::handshake`) on a socketpair, the client
/// writing the input in pieces and then ending its side: it fails with a TLS or I/O
/// error (arbitrary bytes cannot finish a handshake) within its timeout, and leaves the
/// client a close, never a hang.
fn tls_blocking_handshake(config: &crate::tls::TlsConfig, seed: u8, data: &[u8]) {
    let config = config.clone().handshake_timeout(Duration::from_secs(5));
    let (server, socket) = UnixStream::pair().expect("a socketpair");
    socket.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    socket.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let pieces = Splitter::new(u64::from(seed))
        .split(data, 1 + usize::from(seed & 0x7f) * 8)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let client = client(socket, pieces);
    let connection = Connection::Unix(server);
    let started = std::time::Instant::now();
    match crate::tls::TlsSession::handshake(&connection, &config) {
        Ok(_) => {} // a forged handshake would have to break the crypto; allowed, not expected
        Err(crate::Error::Tls(why)) => assert!(!why.is_empty()),
        Err(crate::Error::Io(_)) => {}
        Err(other) => panic!("not a TLS or I/O error: {other}"),
    }
    assert!(
        started.elapsed() < IO_TIMEOUT,
        "the handshake outlived its timeout"
    );
    drop(connection);
    let answer = client.join().expect("the client thread");
    assert!(
        answer.len() < 1 << 16,
        "{} bytes sent to the client",
        answer.len()
    );
}

/// A TLS configuration for [`tls_setup`] from PEM files.
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> crate::tls::TlsConfig {
    crate::tls::TlsConfig::from_pem_files(cert, key).expect("the fuzz certificate")
}
