//! What the TLS scenarios share: a CA and a server certificate for `localhost`, made by
//! rcgen when the run starts and written to a temporary directory whose path the server
//! processes find in [`DIR_VAR`]; the rustls server configuration of the tokio twin (the
//! crate's servers load the same files with `TlsConfig`); and the load generator's client
//! configuration, which offers one cipher suite and one key exchange group, so every
//! contender negotiates the same ones: TLS 1.3, `TLS13_AES_128_GCM_SHA256`, X25519, an
//! ECDSA P-256 certificate.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The environment variable naming the directory with `ca.pem`, `cert.pem`, `key.pem`.
pub const DIR_VAR: &str = "COMPARE_TLS_DIR";

/// Makes the certificates and points [`DIR_VAR`] at them, for this process and the
/// servers it starts; the directory lives as long as the value returned.
pub fn prepare() -> io::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let failed = |err: rcgen::Error| io::Error::other(format!("rcgen: {err}"));
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().map_err(failed)?;
    let ca = ca_params.self_signed(&ca_key).map_err(failed)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().map_err(failed)?;
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .map_err(failed)?
        .signed_by(&key, &issuer)
        .map_err(failed)?;
    std::fs::write(dir.path().join("ca.pem"), ca.pem())?;
    std::fs::write(dir.path().join("cert.pem"), cert.pem())?;
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem())?;
    // Set before any thread starts: the server processes inherit it.
    std::env::set_var(DIR_VAR, dir.path());
    Ok(dir)
}

/// A file of the directory [`prepare`] made.
pub fn file(name: &str) -> io::Result<PathBuf> {
    let dir = std::env::var_os(DIR_VAR)
        .ok_or_else(|| io::Error::other(format!("{DIR_VAR} is not set")))?;
    Ok(PathBuf::from(dir).join(name))
}

fn pem_error(err: rustls::pki_types::pem::Error) -> io::Error {
    io::Error::other(format!("PEM: {err}"))
}

/// The tokio twin's configuration: what `TlsConfig::from_pem_files` builds for the
/// crate's servers (ring, TLS 1.3 and 1.2, no client certificates).
pub fn server_config() -> io::Result<rustls::ServerConfig> {
    let certs = CertificateDer::pem_file_iter(file("cert.pem")?)
        .map_err(pem_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error)?;
    let key = PrivateKeyDer::from_pem_file(file("key.pem")?).map_err(pem_error)?;
    rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(io::Error::other)
}

/// The load generator's configuration: trusts the CA, offers only
/// `TLS13_AES_128_GCM_SHA256` with X25519, and never resumes a session, so each new
/// connection is a full handshake.
pub fn client_config() -> io::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(file("ca.pem")?).map_err(pem_error)? {
        roots
            .add(cert.map_err(pem_error)?)
            .map_err(io::Error::other)?;
    }
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: vec![provider::cipher_suite::TLS13_AES_128_GCM_SHA256],
        kx_groups: vec![provider::kx_group::X25519],
        ..provider::default_provider()
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}
