//! Certificates made for the TLS tests (rcgen): a CA, a server certificate for
//! `localhost` and 127.0.0.1 signed by it, and a client certificate signed by it; written
//! as PEM files in a temporary directory. And a rustls client that trusts that CA.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::IO_TIMEOUT;

/// PEM files in a directory that lives as long as this value.
pub struct Certs {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A second server certificate (same CA), for rotation.
    pub cert2: PathBuf,
    pub key2: PathBuf,
}

/// Makes a CA and certificates signed by it.
pub fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "socketserver test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>, cn: &str| {
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let (cert, key) = leaf(names.clone(), "server");
    let (cert2, key2) = leaf(names, "server, rotated");
    let (client_cert, client_key) = leaf(vec!["client".to_owned()], "client");
    let write = |name: &str, pem: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    Certs {
        ca: write("ca.pem", &ca_cert.pem()),
        cert: write("cert.pem", &cert),
        key: write("key.pem", &key),
        client_cert: write("client.pem", &client_cert),
        client_key: write("client-key.pem", &client_key),
        cert2: write("cert2.pem", &cert2),
        key2: write("key2.pem", &key2),
        dir,
    }
}

impl Certs {
    /// A client configuration that trusts the CA; with `client_auth`, it presents the
    /// client certificate.
    pub fn client_config(&self, client_auth: bool) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&self.ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = if client_auth {
            let chain = CertificateDer::pem_file_iter(&self.client_cert)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let key = PrivateKeyDer::from_pem_file(&self.client_key).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(config)
    }
}

/// A TLS client connection to `addr` with `config`, for the name `localhost`.
pub type TlsClient = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// Connects and completes the handshake (an error if the server refuses it).
pub fn connect_tls(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
) -> std::io::Result<TlsClient> {
    let tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    let name = ServerName::try_from("localhost").unwrap();
    let conn =
        rustls::ClientConnection::new(Arc::clone(config), name).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// Sends `line` and reads one line back.
pub fn round_trip(client: &mut TlsClient, line: &[u8]) -> Vec<u8> {
    client.write_all(line).unwrap();
    client.flush().unwrap();
    let mut reply = Vec::new();
    BufReader::new(client)
        .read_until(b'\n', &mut reply)
        .unwrap();
    reply
}

/// Reads until the server ends the stream.
pub fn read_to_end(client: &mut TlsClient) -> Vec<u8> {
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    rest
}
