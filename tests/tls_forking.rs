//! TLS on the forking server (feature `tls`): the handshake runs in the child, so a
//! stalled client never holds up the parent's accept loop; echo is byte-exact and the
//! handler sees the session.
//!
//! This binary forks: it runs with `harness = false` (see `support::fork`).
#![cfg_attr(not(feature = "tls"), allow(unused))]

mod support;

#[cfg(not(feature = "tls"))]
fn main() {}

#[cfg(feature = "tls")]
fn main() {
    support::fork::capture_logs();
    support::fork::run(&[
        (
            "the_child_echoes_through_tls_and_sees_the_session",
            tests::the_child_echoes_through_tls_and_sees_the_session,
        ),
        (
            "a_stalled_handshake_holds_up_nobody",
            tests::a_stalled_handshake_holds_up_nobody,
        ),
    ]);
}

#[cfg(feature = "tls")]
mod tests {
    use std::io::{BufRead, Read, Write};
    use std::sync::Arc;
    use std::time::Duration;

    use socketserver::tls::TlsConfig;
    use socketserver::{ForkingTcpServer, StreamRequest};

    use crate::support::fork::zombies;
    use crate::support::tls::{certs, connect_tls, round_trip};
    use crate::support::{connect, Serving};

    fn echo(req: &mut StreamRequest) -> std::io::Result<()> {
        let version = req.tls().expect("a TLS connection").protocol_version;
        writeln!(req.wfile, "pid {} {}", std::process::id(), version)?;
        req.wfile.flush()?;
        let mut line = Vec::new();
        while req.rfile.read_until(b'\n', &mut line)? > 0 {
            req.wfile.write_all(&line)?;
            req.wfile.flush()?;
            line.clear();
        }
        Ok(())
    }

    type Echo = fn(&mut StreamRequest) -> std::io::Result<()>;

    fn start(tls: TlsConfig) -> (Arc<ForkingTcpServer<Echo>>, Serving) {
        let make = || echo as Echo;
        let server = Arc::new(
            ForkingTcpServer::builder()
                .tls(tls)
                .bind("127.0.0.1:0", make)
                .unwrap(),
        );
        let serving = {
            let server = Arc::clone(&server);
            Serving::start(server.shutdown_handle(), move || server.serve_forever())
        };
        (server, serving)
    }

    pub fn the_child_echoes_through_tls_and_sees_the_session() {
        let certs = certs();
        let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap();
        let (server, serving) = start(tls);
        let config = certs.client_config(false);
        let mut client = connect_tls(server.local_addr().unwrap(), &config).unwrap();
        let hello = String::from_utf8(round_trip(&mut client, b"")).unwrap();
        let pid = crate::support::fork::greeting_pid(&hello, "pid ");
        assert_ne!(pid as u32, std::process::id(), "served by a child");
        assert!(hello.ends_with(" TLSv1.3\n"), "{hello}");
        let mut big = vec![b'y'; 1 << 20];
        big.push(b'\n');
        assert!(round_trip(&mut client, &big) == big, "1 MiB, byte for byte");
        drop(client);
        serving.stop().unwrap();
        Arc::into_inner(server).unwrap().close_gracefully();
        assert!(zombies().is_empty());
    }

    pub fn a_stalled_handshake_holds_up_nobody() {
        let certs = certs();
        let tls = TlsConfig::from_pem_files(&certs.cert, &certs.key)
            .unwrap()
            .handshake_timeout(Duration::from_millis(300));
        let (server, serving) = start(tls);
        let addr = server.local_addr().unwrap();
        let mut stalled = connect(addr);
        let config = certs.client_config(false);
        let mut client = connect_tls(addr, &config).unwrap();
        assert!(round_trip(&mut client, b"").starts_with(b"pid "));
        assert_eq!(round_trip(&mut client, b"hi\n"), b"hi\n");
        // The stalled client's child gives up at the handshake timeout.
        let mut rest = Vec::new();
        let read = stalled.read_to_end(&mut rest);
        assert!(
            !matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "kept: {read:?}"
        );
        drop(client);
        serving.stop().unwrap();
        Arc::into_inner(server).unwrap().close_gracefully();
        assert!(zombies().is_empty());
    }
}
