//! [`TlsConfig`]: the certificate chain, the private key, the client-certificate roots
//! (mutual TLS), the ALPN list and the handshake timeout, loaded from PEM and checked when
//! the configuration is made, so a bad file is a clear error before the server binds.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::{Error, Result};

/// How long a client may take to finish its handshake unless
/// [`TlsConfig::handshake_timeout`] says otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What is wrong with a certificate, key or roots file, in [`Error::TlsFile`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFileError {
    /// The file is missing or cannot be read.
    #[error("cannot read it: {0}")]
    Unreadable(std::io::Error),
    /// The file has no PEM `CERTIFICATE` block.
    #[error("no certificate in it")]
    NoCertificate,
    /// The file has no PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
    #[error("no private key in it")]
    NoPrivateKey,
    /// The file's PEM is malformed.
    #[error("malformed PEM: {0}")]
    BadPem(String),
    /// The private key does not belong to the certificate.
    #[error("the key does not match the certificate")]
    KeyMismatch,
    /// rustls refused the certificate, key or roots.
    #[error("{0}")]
    Refused(String),
}

/// One TLS configuration, for any stream server's builder
/// ([`ServerBuilder::tls`](crate::ServerBuilder::tls)). TLS 1.2 and 1.3, rustls with its
/// `ring` provider.
///
/// Cheap to clone: the clones share the certificate, so
/// [`reload_pem_files`](Self::reload_pem_files) on any of them changes what every server
/// configured with it gives new connections (the examples call it on SIGHUP).
#[derive(Clone)]
pub struct TlsConfig {
    shared: Arc<RwLock<State>>,
    handshake_timeout: Duration,
}

/// What the configuration holds: the certificate and key, the settings a reload keeps,
/// and the rustls configuration made of them, which new connections get.
struct State {
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// The file the key came from, for a mismatch found when the settings change.
    key_file: std::path::PathBuf,
    client_roots: Option<Arc<RootCertStore>>,
    alpn: Vec<Vec<u8>>,
    current: Arc<ServerConfig>,
}

impl TlsConfig {
    /// A configuration from a PEM certificate chain (the server's certificate first) and a
    /// PEM private key (PKCS#8, or the older RSA and EC forms; RSA or EC keys). No client
    /// certificates, no ALPN, a [`DEFAULT_HANDSHAKE_TIMEOUT`].
    ///
    /// Fails with [`Error::TlsFile`], naming the file, when a file is missing or
    /// unreadable, has no certificate or no key, or the key does not match the
    /// certificate.
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<Self> {
        let certs = read_certs(cert_chain.as_ref())?;
        let key = read_key(private_key.as_ref())?;
        let key_file = private_key.as_ref().to_path_buf();
        let current = Arc::new(build(&certs, &key, None, &[], &key_file)?);
        Ok(TlsConfig {
            shared: Arc::new(RwLock::new(State {
                certs,
                key,
                key_file,
                client_roots: None,
                alpn: Vec::new(),
                current,
            })),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        })
    }

    /// Mutual TLS: clients must present a certificate signed by one of the CA
    /// certificates in `roots` (a PEM file); a client without one fails the handshake.
    pub fn require_client_certificates(self, roots: impl AsRef<Path>) -> Result<Self> {
        let roots = roots.as_ref();
        let mut store = RootCertStore::empty();
        for cert in read_certs(roots)? {
            store
                .add(cert)
                .map_err(|err| file_error(roots, TlsFileError::Refused(err.to_string())))?;
        }
        self.change(|state| state.client_roots = Some(Arc::new(store)))
    }

    /// The protocols offered in ALPN, in order of preference (`b"http/1.1"`, ...). A
    /// client that offers ALPN but none of these fails the handshake; one that offers no
    /// ALPN at all is served.
    pub fn alpn_protocols(self, protocols: &[&[u8]]) -> Result<Self> {
        self.change(|state| state.alpn = protocols.iter().map(|p| p.to_vec()).collect())
    }

    /// How long a client may take to finish its handshake; past it the connection is
    /// closed. Default [`DEFAULT_HANDSHAKE_TIMEOUT`], 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Certificate rotation: loads a new certificate chain and key (checked as
    /// [`from_pem_files`](Self::from_pem_files) checks them) that new connections get;
    /// connections already established keep theirs. On an error nothing changes.
    pub fn reload_pem_files(
        &self,
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<()> {
        let certs = read_certs(cert_chain.as_ref())?;
        let key = read_key(private_key.as_ref())?;
        let mut state = self.shared.write().unwrap_or_else(PoisonError::into_inner);
        let key_file = private_key.as_ref().to_path_buf();
        let current = build(
            &certs,
            &key,
            state.client_roots.clone(),
            &state.alpn,
            &key_file,
        )?;
        *state = State {
            certs,
            key,
            key_file,
            client_roots: state.client_roots.clone(),
            alpn: std::mem::take(&mut state.alpn),
            current: Arc::new(current),
        };
        log::info!(
            "TLS certificate reloaded from {}",
            cert_chain.as_ref().display()
        );
        Ok(())
    }

    /// The rustls configuration a new connection gets now.
    pub(crate) fn current(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.state().current)
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.handshake_timeout
    }

    fn state(&self) -> RwLockReadGuard<'_, State> {
        // Every write replaces the whole state at once: a panic cannot leave it half-done.
        self.shared.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// This configuration with a setting changed: a new one, so that servers already
    /// given the old one keep it.
    fn change(self, change: impl FnOnce(&mut State)) -> Result<Self> {
        let old = self.state();
        let mut state = State {
            certs: old.certs.clone(),
            key: old.key.clone_key(),
            key_file: old.key_file.clone(),
            client_roots: old.client_roots.clone(),
            alpn: old.alpn.clone(),
            current: Arc::clone(&old.current),
        };
        drop(old);
        change(&mut state);
        let current = build(
            &state.certs,
            &state.key,
            state.client_roots.clone(),
            &state.alpn,
            &state.key_file,
        )?;
        state.current = Arc::new(current);
        Ok(TlsConfig {
            shared: Arc::new(RwLock::new(state)),
            handshake_timeout: self.handshake_timeout,
        })
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("TlsConfig")
            .field("certificates", &state.certs.len())
            .field(
                "client_certificates_required",
                &state.client_roots.is_some(),
            )
            .field("alpn_protocols", &state.alpn.len())
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

fn file_error(path: &Path, problem: TlsFileError) -> Error {
    Error::TlsFile {
        path: path.to_path_buf(),
        problem,
    }
}

/// Reads the file first, so that a missing file is `Unreadable` rather than a PEM error.
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|err| file_error(path, TlsFileError::Unreadable(err)))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|err| file_error(path, TlsFileError::BadPem(err.to_string())))?;
    if certs.is_empty() {
        return Err(file_error(path, TlsFileError::NoCertificate));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|err| {
        let problem = match err {
            rustls::pki_types::pem::Error::NoItemsFound => TlsFileError::NoPrivateKey,
            other => TlsFileError::BadPem(other.to_string()),
        };
        file_error(path, problem)
    })
}

/// The ring provider, installed explicitly for each configuration: with one provider
/// there is no process-wide default to choose, so two providers can never clash.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build(
    certs: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    client_roots: Option<Arc<RootCertStore>>,
    alpn: &[Vec<u8>],
    key_file: &Path,
) -> Result<ServerConfig> {
    let refused = |err: rustls::Error| {
        let problem = match err {
            rustls::Error::InconsistentKeys(_) => TlsFileError::KeyMismatch,
            other => TlsFileError::Refused(other.to_string()),
        };
        file_error(key_file, problem)
    };
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(refused)?;
    let builder = match client_roots {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|err| file_error(key_file, TlsFileError::Refused(err.to_string())))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs.to_vec(), key.clone_key())
        .map_err(refused)?;
    config.alpn_protocols = alpn.to_vec();
    Ok(config)
}
