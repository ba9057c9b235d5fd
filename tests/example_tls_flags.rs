//! The examples' TLS flags (`--tls-cert`, `--tls-key`, `--tls-handshake-timeout`) as
//! `EXAMPLES.md` ("Deployment flags") specifies them, for `echo_server` (a thread per
//! client) and `select_echo_server` (the event loop): a bad file is one stderr line naming
//! it, exit code 2 and nothing on stdout; plaintext and garbage clients are disconnected
//! while a TLS client is served; a stalled handshake is dropped at the timeout; SIGHUP
//! rotates the certificate (new connections get the new one, an established connection
//! goes on); SIGTERM with TLS clients connected loses no reply.
#![cfg(feature = "tls")]

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use support::example::{example_path, wait_exit, ExampleServer};
use support::tls::{certs, connect_tls, round_trip, Certs, TlsClient};
use support::{connect, unacknowledged, wait_until, IO_TIMEOUT};

const SERVERS: [&str; 2] = ["echo_server", "select_echo_server"];

/// The contract of a stopping example: exit 0 within 3 s of the signal.
const EXIT_LIMIT: Duration = Duration::from_secs(3);

/// Starts `name` serving TLS with the certificate files `cert` and `key`, plus `extra`.
fn start(name: &str, cert: &Path, key: &Path, extra: &[&str]) -> ExampleServer {
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let mut args = vec!["--tls-cert", &cert, "--tls-key", &key];
    args.extend_from_slice(extra);
    ExampleServer::start(name, &args)
}

/// Runs `name -p 0 --tls-cert CERT --tls-key KEY`, which must fail at once: its exit code,
/// stdout and stderr. `RUST_LOG` is unset: what a user sees.
fn fail_to_start(name: &str, cert: &Path, key: &Path) -> (Option<i32>, Vec<u8>, String) {
    let mut child = Command::new(example_path(name))
        .args(["-p", "0", "--tls-cert"])
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Both pipes are read to their end (the process's exit closes them) on threads, so a
    // server that wrongly starts cannot block the test: wait_exit kills it.
    let out = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let err = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        err
    });
    let status = wait_exit(&mut child, Duration::from_secs(60));
    (status.code(), out.join().unwrap(), err.join().unwrap())
}

#[test]
fn bad_tls_files_are_one_error_line_naming_the_file_and_exit_code_2() {
    let certs = certs();
    let dir = certs.dir.path();
    let missing = dir.join("missing.pem");
    // The tests may run as root, which reads any file whatever its mode: a directory is
    // the file no one can read.
    let unreadable = dir.join("a-directory.pem");
    std::fs::create_dir(&unreadable).unwrap();
    let cases: [(&str, &Path, &Path, &Path, &str); 5] = [
        (
            "missing cert",
            &missing,
            &certs.key,
            &missing,
            "cannot read it",
        ),
        (
            "unreadable key",
            &certs.cert,
            &unreadable,
            &unreadable,
            "cannot read it",
        ),
        // The key file given as the certificate: PEM, but no certificate in it.
        (
            "no certificate",
            &certs.key,
            &certs.key,
            &certs.key,
            "no certificate",
        ),
        // The certificate given as the key: PEM, but no key in it.
        (
            "no key",
            &certs.cert,
            &certs.cert,
            &certs.cert,
            "no private key",
        ),
        (
            "mismatched key",
            &certs.cert,
            &certs.key2,
            &certs.key2,
            "does not match",
        ),
    ];
    for name in SERVERS {
        for (case, cert, key, named, problem) in cases {
            let (code, out, err) = fail_to_start(name, cert, key);
            assert_eq!(code, Some(2), "{name}, {case}: exit code; stderr: {err}");
            assert!(out.is_empty(), "{name}, {case}: stdout {out:?}");
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), 1, "{name}, {case}: one line: {err}");
            assert!(
                lines[0].contains(&named.display().to_string()) && lines[0].contains(problem),
                "{name}, {case}: {:?} should name {} and say {problem:?}",
                lines[0],
                named.display()
            );
        }
    }
}

/// Whether the server ends `stream` (end of file or a reset, after whatever it sent, a TLS
/// alert for example) before the client's read timeout.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(err) if err.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false, // the read timed out: still open
        }
    }
}

/// A TLS client connected and echoed once.
fn served(certs: &Certs, server: &ExampleServer, line: &[u8]) -> TlsClient {
    let mut client = connect_tls(server.addr, &certs.client_config(false)).expect("handshake");
    assert_eq!(round_trip(&mut client, line), line);
    client
}

#[test]
fn plaintext_and_garbage_clients_are_disconnected_while_a_tls_client_is_served() {
    let certs = certs();
    for name in SERVERS {
        let server = start(name, &certs.cert, &certs.key, &[]);
        let mut tls = served(&certs, &server, b"before\n");
        let mut plaintext = connect(server.addr);
        plaintext.write_all(b"hello world\n").unwrap();
        let mut garbage = connect(server.addr);
        let bytes: Vec<u8> = (0..512u32).map(|i| (i * 131 % 251) as u8).collect();
        garbage.write_all(&bytes).unwrap();
        // The TLS client is served while the others are being refused.
        assert_eq!(round_trip(&mut tls, b"during\n"), b"during\n");
        assert!(closed_by_server(&mut plaintext), "{name}: plaintext kept");
        assert!(closed_by_server(&mut garbage), "{name}: garbage kept");
        assert_eq!(round_trip(&mut tls, b"after\n"), b"after\n");
        drop(served(&certs, &server, b"a new client\n"));
    }
}

#[test]
fn a_stalled_handshake_is_dropped_at_the_timeout_without_delaying_others() {
    let certs = certs();
    for name in SERVERS {
        let server = start(
            name,
            &certs.cert,
            &certs.key,
            &["--tls-handshake-timeout", "1"],
        );
        let connected = Instant::now();
        let mut stalled = connect(server.addr);
        // Half a ClientHello's record header: a handshake begun and never finished.
        stalled.write_all(&[0x16, 0x03]).unwrap();
        let mut silent = connect(server.addr);
        drop(served(&certs, &server, b"not delayed\n"));
        assert!(closed_by_server(&mut stalled), "{name}: stalled kept");
        assert!(closed_by_server(&mut silent), "{name}: silent kept");
        // Not before the timeout: it was the timeout that dropped them.
        assert!(
            connected.elapsed() >= Duration::from_secs(1),
            "{name}: dropped before --tls-handshake-timeout"
        );
        drop(served(&certs, &server, b"still serving\n"));
    }
}

/// The first certificate of a PEM file, as DER.
fn first_cert(path: &Path) -> CertificateDer<'static> {
    CertificateDer::pem_file_iter(path)
        .unwrap()
        .next()
        .expect("a certificate")
        .unwrap()
}

/// The certificate the server presented on `client`.
fn presented(client: &TlsClient) -> CertificateDer<'static> {
    client.conn.peer_certificates().expect("a certificate")[0].clone()
}

#[test]
fn sighup_rotates_the_certificate_for_new_connections() {
    for name in SERVERS {
        let certs = certs();
        // The server reads copies, so the test can replace them as an operator would.
        let (cert, key) = (
            certs.dir.path().join("live.pem"),
            certs.dir.path().join("live-key.pem"),
        );
        std::fs::copy(&certs.cert, &cert).unwrap();
        std::fs::copy(&certs.key, &key).unwrap();
        let server = start(name, &cert, &key, &[]);
        let mut established = served(&certs, &server, b"old\n");
        assert_eq!(presented(&established), first_cert(&certs.cert));

        std::fs::copy(&certs.cert2, &cert).unwrap();
        std::fs::copy(&certs.key2, &key).unwrap();
        // SAFETY: kill has no memory effects; the pid is the test's own child.
        assert_eq!(
            unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGHUP) },
            0
        );
        // The reload happens on the server's signal thread: new connections are tried
        // until one gets the new certificate.
        let rotated = first_cert(&certs.cert2);
        assert!(
            wait_until(IO_TIMEOUT, || presented(&served(&certs, &server, b"new\n"))
                == rotated),
            "{name}: no connection got the new certificate after SIGHUP"
        );
        assert_eq!(
            round_trip(&mut established, b"still here\n"),
            b"still here\n"
        );
        assert_eq!(presented(&established), first_cert(&certs.cert));
    }
}

#[test]
fn sigterm_with_tls_clients_connected_loses_no_reply() {
    let certs = certs();
    for name in SERVERS {
        let mut server = start(name, &certs.cert, &certs.key, &[]);
        let mut clients: Vec<TlsClient> = (0..8)
            .map(|i| served(&certs, &server, format!("hello {i}\n").as_bytes()))
            .collect();
        // Each sends a 64 KiB line and a `quit`; the signal comes once the server's kernel
        // has all of it, before any reply is read.
        let lines: Vec<Vec<u8>> = (0..clients.len())
            .map(|i| {
                let mut line = vec![b'a' + i as u8; 64 * 1024];
                line.push(b'\n');
                line
            })
            .collect();
        for (client, line) in clients.iter_mut().zip(&lines) {
            client.write_all(line).unwrap();
            client.write_all(b"quit\n").unwrap();
            client.flush().unwrap();
        }
        for client in &clients {
            assert!(wait_until(IO_TIMEOUT, || unacknowledged(&client.sock) == 0));
        }
        // SAFETY: kill has no memory effects; the pid is the test's own child.
        unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGTERM) };
        for (i, (client, line)) in clients.iter_mut().zip(&lines).enumerate() {
            let mut reply = Vec::new();
            let _ = client.read_to_end(&mut reply);
            // select_echo_server echoes the `quit` line too.
            let reply = reply.strip_suffix(b"quit\n").unwrap_or(&reply);
            assert_eq!(
                reply.len(),
                line.len(),
                "{name}, client {i}: the whole reply"
            );
            assert!(reply == &line[..], "{name}, client {i}: byte-exact");
        }
        let status = server.stop_with(libc::SIGTERM, EXIT_LIMIT);
        assert!(
            status.success() || status.code().is_none(),
            "{name}: {status}"
        );
    }
}
