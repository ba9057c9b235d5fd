//! TLS on every blocking stream server (feature `tls`), TCP and Unix: echo byte-exact through TLS (1 MiB
//! lines too), the session's details for the handler, mutual TLS, plaintext, garbage and
//! stalled handshakes that never delay other clients, certificate rotation, and the
//! errors for bad files. (The event loop and the forking server have files of their own.)
#![cfg(feature = "tls")]

mod support;

use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use socketserver::server::Tcp;
use socketserver::tls::{TlsConfig, TlsFileError};
use socketserver::{
    Error, Mode, PoolTcpServer, Serve, Server, ServerBuilder, StreamRequest, TcpServer,
    ThreadingTcpServer,
};
use support::tls::{certs, connect_tls, read_to_end, round_trip, Certs};
use support::{connect, Serving};

type Echo = fn(&mut StreamRequest) -> std::io::Result<()>;

fn echo(req: &mut StreamRequest) -> std::io::Result<()> {
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

/// Answers the session's details: the SNI name, the ALPN protocol, how many client
/// certificates.
fn session(req: &mut StreamRequest) -> std::io::Result<()> {
    let info = req.tls().expect("a TLS connection").clone();
    writeln!(
        req.wfile,
        "{} {} {} {}",
        info.server_name.as_deref().unwrap_or("-"),
        info.alpn_protocol
            .map_or("-".into(), |p| String::from_utf8_lossy(&p).into_owned()),
        info.peer_certificates.len(),
        info.protocol_version,
    )
}

fn serve<M>(
    builder: ServerBuilder<Tcp, M, Echo>,
    tls: TlsConfig,
    handler: Echo,
) -> (SocketAddr, Serving)
where
    M: socketserver::server::Serves<Tcp, Echo> + Mode,
    Server<Tcp, M, Echo>: Serve<Addr = SocketAddr> + 'static,
{
    let server = builder
        .tls(tls)
        .bind("127.0.0.1:0", move || handler)
        .unwrap();
    let addr = Serve::local_addr(&server).unwrap();
    let handle = Serve::shutdown_handle(&server);
    (addr, Serving::start(handle, move || Serve::run(server)))
}

/// Echo through TLS: short lines, CRLF, empty lines, a 1 MiB line, byte for byte.
fn echoes_byte_exact<M>(builder: ServerBuilder<Tcp, M, Echo>)
where
    M: socketserver::server::Serves<Tcp, Echo> + Mode,
    Server<Tcp, M, Echo>: Serve<Addr = SocketAddr> + 'static,
{
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap();
    let (addr, serving) = serve(builder, tls, echo);
    let config = certs.client_config(false);
    let mut client = connect_tls(addr, &config).unwrap();
    for line in [
        &b"hello\n"[..],
        b"caf\xc3\xa9\r\n",
        b"\n",
        b"\x00\xff\xfe\n",
    ] {
        assert_eq!(round_trip(&mut client, line), line);
    }
    let mut big = vec![b'x'; 1 << 20];
    big.push(b'\n');
    let echoed = round_trip(&mut client, &big);
    assert_eq!(echoed.len(), big.len());
    assert!(echoed == big, "the 1 MiB line, byte for byte");
    drop(client);
    serving.stop().unwrap();
}

#[test]
fn iterative_server_echoes_through_tls() {
    echoes_byte_exact(TcpServer::builder());
}

#[test]
fn threading_server_echoes_through_tls() {
    echoes_byte_exact(ThreadingTcpServer::builder());
}

#[test]
fn pool_server_echoes_through_tls() {
    echoes_byte_exact(PoolTcpServer::builder());
}

#[test]
fn the_handler_sees_the_session() {
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key)
        .unwrap()
        .alpn_protocols(&[b"echo/1", b"http/1.1"])
        .unwrap();
    let (addr, serving) = serve(ThreadingTcpServer::builder(), tls, session);
    let mut config = (*certs.client_config(false)).clone();
    config.alpn_protocols = vec![b"echo/1".to_vec()];
    let mut client = connect_tls(addr, &std::sync::Arc::new(config)).unwrap();
    let reply = String::from_utf8(read_to_end(&mut client)).unwrap();
    assert_eq!(reply, "localhost echo/1 0 TLSv1.3\n");
    serving.stop().unwrap();
}

#[test]
fn mutual_tls_accepts_a_good_client_certificate_and_refuses_none() {
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key)
        .unwrap()
        .require_client_certificates(&certs.ca)
        .unwrap();
    let (addr, serving) = serve(ThreadingTcpServer::builder(), tls, session);
    let mut good = connect_tls(addr, &certs.client_config(true)).unwrap();
    let reply = String::from_utf8(read_to_end(&mut good)).unwrap();
    assert_eq!(reply, "localhost - 1 TLSv1.3\n", "the client's certificate");
    // Without a certificate the handshake fails (in TLS 1.3 the client may only learn it
    // at its first read).
    let refused = connect_tls(addr, &certs.client_config(false)).and_then(|mut client| {
        let mut buf = [0; 1];
        client.read(&mut buf)
    });
    assert!(
        !matches!(refused, Ok(n) if n > 0),
        "served without a certificate: {refused:?}"
    );
    serving.stop().unwrap();
}

#[test]
fn plaintext_garbage_and_stalled_handshakes_never_delay_other_clients() {
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key)
        .unwrap()
        .handshake_timeout(Duration::from_millis(500));
    let (addr, serving) = serve(ThreadingTcpServer::builder(), tls, echo);
    // A plaintext client: closed (after the server's alert).
    let mut plain = connect(addr);
    plain.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = plain.read_to_end(&mut rest);
    assert!(!rest.starts_with(b"GET"), "no echo for plaintext");
    // Garbage.
    let mut garbage = connect(addr);
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0])
        .unwrap();
    // A client that connects and says nothing.
    let mut stalled = connect(addr);
    // Meanwhile a real client is served at once.
    let config = certs.client_config(false);
    let started = Instant::now();
    let mut client = connect_tls(addr, &config).unwrap();
    assert_eq!(round_trip(&mut client, b"hi\n"), b"hi\n");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "the good client waited"
    );
    // The stalled one is dropped at the handshake timeout.
    let mut buf = Vec::new();
    let _ = stalled.read_to_end(&mut buf);
    let _ = garbage.read_to_end(&mut buf);
    drop(client);
    serving.stop().unwrap();
}

#[test]
fn a_reloaded_certificate_is_served_to_new_connections_only() {
    let certs = certs();
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap();
    let (addr, serving) = serve(ThreadingTcpServer::builder(), tls.clone(), echo);
    let config = certs.client_config(false);
    let mut old = connect_tls(addr, &config).unwrap();
    let cn = |client: &support::tls::TlsClient| {
        let chain = client.conn.peer_certificates().unwrap();
        let text = String::from_utf8_lossy(&chain[0]).into_owned();
        text.contains("rotated")
    };
    assert!(!cn(&old));
    tls.reload_pem_files(&certs.cert2, &certs.key2).unwrap();
    let mut new = connect_tls(addr, &config).unwrap();
    assert!(cn(&new), "a new connection gets the new certificate");
    assert_eq!(
        round_trip(&mut old, b"still\n"),
        b"still\n",
        "the old one goes on"
    );
    assert_eq!(round_trip(&mut new, b"new\n"), b"new\n");
    // A bad reload changes nothing.
    assert!(tls.reload_pem_files(&certs.cert, &certs.key2).is_err());
    assert!(cn(&connect_tls(addr, &config).unwrap()));
    drop((old, new));
    serving.stop().unwrap();
}

fn file_problem(
    result: socketserver::Result<TlsConfig>,
) -> (std::path::PathBuf, TlsFileError, String) {
    match result {
        Err(err @ Error::TlsFile { .. }) => {
            let text = err.to_string();
            let Error::TlsFile { path, problem } = err else {
                unreachable!()
            };
            (path, problem, text)
        }
        other => panic!("not a TLS file error: {other:?}"),
    }
}

#[test]
fn bad_files_are_errors_that_name_the_file() {
    let certs: Certs = certs();
    let missing = certs.dir.path().join("missing.pem");
    let (path, problem, text) = file_problem(TlsConfig::from_pem_files(&missing, &certs.key));
    assert_eq!(path, missing);
    assert!(matches!(problem, TlsFileError::Unreadable(_)));
    assert!(text.contains("missing.pem"), "{text}");

    // A key where the certificate should be, a certificate where the key should be.
    let (path, problem, _) = file_problem(TlsConfig::from_pem_files(&certs.key, &certs.key));
    assert_eq!(path, certs.key);
    assert!(matches!(problem, TlsFileError::NoCertificate));
    let (path, problem, _) = file_problem(TlsConfig::from_pem_files(&certs.cert, &certs.cert));
    assert_eq!(path, certs.cert);
    assert!(matches!(problem, TlsFileError::NoPrivateKey));

    // The key of another certificate.
    let (path, problem, text) = file_problem(TlsConfig::from_pem_files(&certs.cert, &certs.key2));
    assert_eq!(path, certs.key2);
    assert!(matches!(problem, TlsFileError::KeyMismatch), "{problem:?}");
    assert!(text.contains("does not match"), "{text}");
}

#[test]
fn a_unix_stream_server_echoes_through_tls() {
    use socketserver::ThreadingUnixStreamServer;
    let certs = certs();
    let path = certs.dir.path().join("echo.sock");
    let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap();
    let server = ThreadingUnixStreamServer::builder()
        .tls(tls)
        .bind(&path, || echo)
        .unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let socket = std::os::unix::net::UnixStream::connect(&path).unwrap();
    socket.set_read_timeout(Some(support::IO_TIMEOUT)).unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(certs.client_config(false), name).unwrap();
    let mut client = rustls::StreamOwned::new(conn, socket);
    client.write_all(b"over a unix socket\n").unwrap();
    let mut reply = Vec::new();
    std::io::BufReader::new(&mut client)
        .read_until(b'\n', &mut reply)
        .unwrap();
    assert_eq!(reply, b"over a unix socket\n");
    drop(client);
    serving.stop().unwrap();
}
