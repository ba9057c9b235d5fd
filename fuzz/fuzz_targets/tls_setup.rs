//! Fuzz target `tls_setup`: the crate's TLS server side (the event loop's rustls session,
//! configured as the crate configures it, or the blocking modes' handshake over a
//! socketpair) fed arbitrary client bytes.
//! The checks are in `socketserver::fuzzing::tls_setup`.
#![no_main]

use std::sync::OnceLock;

use socketserver::tls::TlsConfig;

/// The configuration, made once from the test certificate in `fuzz/tls/`.
fn config() -> &'static TlsConfig {
    static CONFIG: OnceLock<TlsConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tls");
        socketserver::fuzzing::tls_config(&dir.join("cert.pem"), &dir.join("key.pem"))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::tls_setup(config(), data));
