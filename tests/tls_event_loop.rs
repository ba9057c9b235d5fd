//! TLS on the event loop (feature `tls`): the handshake is driven without blocking, so a
//! stalled or garbage client never delays the others; `on_connect` runs once the session
//! is up and sees it; echo is byte-exact (1 MiB too); `close` ends the stream with
//! close_notify; a chat relays between TLS clients; backpressure still bounds a slow reader.
#![cfg(feature = "tls")]

mod support;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::tls::TlsConfig;
use support::tls::{certs, connect_tls, read_to_end, round_trip, Certs};
use support::{connect, wait_until, Serving, IO_TIMEOUT};

/// Echoes bytes as they arrive; `quit` on a line of its own closes.
struct Echo;

impl EventHandler for Echo {
    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        if data == b"quit\n" {
            ctx.close();
        } else {
            ctx.send(data);
        }
        Ok(())
    }
}

/// Greets with the session's details, then relays lines to everyone else.
struct Chat;

impl EventHandler for Chat {
    fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        let info = ctx.tls().expect("on_connect runs after the handshake");
        let greeting = format!(
            "welcome {} {} {}\n",
            info.server_name.as_deref().unwrap_or("-"),
            info.peer_certificates.len(),
            info.protocol_version
        );
        ctx.send(greeting.as_bytes());
        Ok(())
    }

    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.broadcast(line);
        Ok(())
    }
}

fn serve<H: EventHandler>(
    tls: TlsConfig,
    make: impl Fn() -> H + Send + Sync + 'static,
) -> (SocketAddr, Arc<EventLoopTcpServer<H>>, Serving) {
    let server = Arc::new(
        EventLoopTcpServer::builder()
            .tls(tls)
            .output_limit(64 * 1024)
            .bind("127.0.0.1:0", make)
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (addr, server, serving)
}

fn config(certs: &Certs) -> TlsConfig {
    TlsConfig::from_pem_files(&certs.cert, &certs.key).unwrap()
}

#[test]
fn the_event_loop_echoes_through_tls_byte_exact() {
    let certs = certs();
    let (addr, _server, serving) = serve(config(&certs), || Echo);
    let client_config = certs.client_config(false);
    let mut client = connect_tls(addr, &client_config).unwrap();
    for line in [&b"hello\n"[..], b"caf\xc3\xa9\r\n", b"\x00\xff\xfe\n"] {
        assert_eq!(round_trip(&mut client, line), line);
    }
    // 1 MiB: more than rustls holds at once, and past the output limit (backpressure).
    let big: Vec<u8> = (0..1 << 20).map(|n: u32| (n % 251) as u8).collect();
    client.write_all(&big).unwrap();
    client.flush().unwrap();
    let mut echoed = vec![0; big.len()];
    client.read_exact(&mut echoed).unwrap();
    assert!(echoed == big, "the 1 MiB echo, byte for byte");
    // `close` sends close_notify: the client sees a clean end, not a truncation error.
    client.write_all(b"quit\n").unwrap();
    client.flush().unwrap();
    let mut rest = Vec::new();
    let end = client.read_to_end(&mut rest);
    assert!(
        end.is_ok(),
        "the stream ended without close_notify: {end:?}"
    );
    assert!(rest.is_empty());
    serving.stop().unwrap();
}

#[test]
fn on_connect_sees_the_session_and_a_chat_relays_between_tls_clients() {
    let certs = certs();
    let tls = config(&certs)
        .require_client_certificates(&certs.ca)
        .unwrap();
    let (addr, _server, serving) = serve(tls, || Chat);
    let client_config = certs.client_config(true);
    let mut alice = connect_tls(addr, &client_config).unwrap();
    let mut bob = connect_tls(addr, &client_config).unwrap();
    let welcome = b"welcome localhost 1 TLSv1.3\n";
    assert_eq!(round_trip(&mut alice, b""), welcome);
    assert_eq!(round_trip(&mut bob, b""), welcome);
    alice.write_all(b"hi bob\n").unwrap();
    alice.flush().unwrap();
    assert_eq!(round_trip(&mut bob, b""), b"hi bob\n");
    // Without a client certificate: refused, and the others go on.
    let refused = connect_tls(addr, &certs.client_config(false)).and_then(|mut client| {
        let mut buf = [0; 1];
        client.read(&mut buf)
    });
    assert!(
        !matches!(refused, Ok(n) if n > 0),
        "served without a certificate: {refused:?}"
    );
    bob.write_all(b"hi alice\n").unwrap();
    bob.flush().unwrap();
    assert_eq!(round_trip(&mut alice, b""), b"hi alice\n");
    drop((alice, bob));
    serving.stop().unwrap();
}

#[test]
fn stalled_plaintext_and_garbage_handshakes_are_dropped_without_delaying_anyone() {
    let certs = certs();
    let tls = config(&certs).handshake_timeout(Duration::from_millis(300));
    let (addr, server, serving) = serve(tls, || Echo);
    let mut stalled: Vec<_> = (0..20).map(|_| connect(addr)).collect();
    let mut plain = connect(addr);
    plain.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut garbage = connect(addr);
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0])
        .unwrap();
    // A real client is served while all of them hang around.
    let client_config = certs.client_config(false);
    let mut client = connect_tls(addr, &client_config).unwrap();
    assert_eq!(round_trip(&mut client, b"hi\n"), b"hi\n");
    // Plaintext and garbage get an alert at most and are closed; nothing is echoed.
    for socket in [&mut plain, &mut garbage] {
        let mut rest = Vec::new();
        let _ = socket.read_to_end(&mut rest);
        assert!(!rest.starts_with(b"GET"), "no echo for plaintext");
    }
    // The stalled ones are closed at the handshake timeout (each read ends, well before
    // the test's own 10 s timeout).
    for socket in &mut stalled {
        let mut rest = Vec::new();
        let read = socket.read_to_end(&mut rest);
        assert!(
            !matches!(&read, Err(e) if e.kind() == io::ErrorKind::WouldBlock),
            "a stalled handshake was kept: {read:?}"
        );
    }
    assert!(wait_until(IO_TIMEOUT, || server.stats().open_connections == 1));
    assert_eq!(round_trip(&mut client, b"still\n"), b"still\n");
    drop(client);
    serving.stop().unwrap();
}

#[test]
fn a_slow_tls_reader_is_held_near_the_output_limit() {
    let certs = certs();
    let (addr, server, serving) = serve(config(&certs), || Echo);
    let client_config = certs.client_config(false);
    let mut slow = connect_tls(addr, &client_config).unwrap();
    // Send without reading until the server pauses us (the kernel's buffers take a few
    // megabytes first; 256 MiB bounds a server that never pauses).
    let chunk = vec![b'x'; 16 * 1024];
    slow.sock.set_nonblocking(true).unwrap();
    let mut sent = 0usize;
    assert!(wait_until(IO_TIMEOUT, || {
        if slow.conn.wants_write() {
            match slow.conn.write_tls(&mut slow.sock) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        } else {
            slow.conn.writer().write_all(&chunk).unwrap();
            sent += chunk.len();
        }
        assert!(sent < 256 << 20, "the server never paused");
        server.stats().paused_connections == 1
    }));
    let stats = server.stats();
    // One read may complete a record begun in the last one: the queue may pass the limit
    // by one TLS record (16 KiB and its few bytes of framing), no more.
    assert!(
        stats.peak_queued_output <= 64 * 1024 + 17 * 1024,
        "{stats:?}"
    );
    drop(slow);
    assert!(wait_until(IO_TIMEOUT, || server.stats().open_connections == 0));
    assert_eq!(server.stats().queued_output, 0, "counted what was queued");
    let mut other = connect_tls(addr, &client_config).unwrap();
    assert_eq!(round_trip(&mut other, b"ok\n"), b"ok\n");
    drop(other);
    serving.stop().unwrap();
}

#[test]
fn a_graceful_stop_ends_tls_connections_with_close_notify() {
    let certs = certs();
    let server = EventLoopTcpServer::builder()
        .tls(config(&certs))
        .bind("127.0.0.1:0", || Echo)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.run());
    let client_config = certs.client_config(false);
    let mut client = connect_tls(addr, &client_config).unwrap();
    assert_eq!(round_trip(&mut client, b"hi\n"), b"hi\n");
    handle.shutdown();
    let rest = read_to_end(&mut client);
    assert!(rest.is_empty());
    let mut buf = [0; 1];
    assert_eq!(
        client.read(&mut buf).unwrap(),
        0,
        "a clean close_notify end"
    );
    serving.join().unwrap().unwrap();
}
