//! Datagram servers: oversized datagrams are reported instead of truncated, an empty reply
//! sends nothing, datagrams queued together are all served in order, and threading
//! datagram servers serve every datagram.

mod support;

use std::io::{self, Read};
use std::sync::mpsc;
use std::time::Duration;

use socketserver::{DatagramRequest, Error, ThreadingUdpServer, UdpServer};
use support::{udp_client, wait_until, Hooks, Serving, IO_TIMEOUT};

fn echo(req: &mut DatagramRequest) -> io::Result<()> {
    let mut packet = Vec::new();
    req.rfile.read_to_end(&mut packet)?;
    req.wfile = packet;
    Ok(())
}

#[test]
fn a_datagram_over_max_packet_size_is_reported_not_truncated() {
    let (tx, rx) = mpsc::channel();
    let factory = Hooks::new(|| echo).on_error(move |client, err| {
        let too_large = matches!(
            err,
            Error::DatagramTooLarge {
                max_packet_size: 100
            }
        );
        tx.send((client.to_string(), too_large)).unwrap();
    });
    let server = UdpServer::builder()
        .max_packet_size(100)
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let client = udp_client();
    let client_addr = client.local_addr().unwrap().to_string();
    client
        .send_to(&[7; 101], server.local_addr().unwrap())
        .unwrap();
    assert!(server.handle_request().unwrap());
    assert_eq!(rx.try_recv().unwrap(), (client_addr, true));

    // Exactly max_packet_size still works, and nothing was sent for the oversized one.
    client
        .send_to(&[8; 100], server.local_addr().unwrap())
        .unwrap();
    assert!(server.handle_request().unwrap());
    let mut buf = [0; 200];
    assert_eq!(client.recv(&mut buf).unwrap(), 100);
    assert_eq!(buf[0], 8);
}

#[test]
fn an_empty_wfile_sends_no_datagram() {
    let server = UdpServer::bind("127.0.0.1:0", || {
        |req: &mut DatagramRequest| -> io::Result<()> {
            if req.packet() == b"reply" {
                req.wfile = b"replied".to_vec();
            }
            Ok(())
        }
    })
    .unwrap();
    let client = udp_client();
    let addr = server.local_addr().unwrap();
    client.send_to(b"silent", addr).unwrap();
    assert!(server.handle_request().unwrap());
    client.send_to(b"reply", addr).unwrap();
    assert!(server.handle_request().unwrap());
    // The first datagram back is the reply: the silent request sent nothing, not b"".
    let mut buf = [0; 32];
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"replied");
}

#[test]
fn datagrams_queued_together_are_all_served_in_order() {
    let server = UdpServer::bind("127.0.0.1:0", || echo).unwrap();
    let addr = server.local_addr().unwrap();
    let client = udp_client();
    // All waiting before the server reads any: each handle_request takes the next.
    let sent: Vec<String> = (0..20).map(|i| format!("datagram {i}")).collect();
    for msg in &sent {
        client.send_to(msg.as_bytes(), addr).unwrap();
    }
    for _ in &sent {
        assert!(server.handle_request().unwrap());
    }
    let echoed: Vec<String> = sent.iter().map(|_| support::recv_text(&client)).collect();
    assert_eq!(echoed, sent);
}

#[test]
fn threading_udp_serves_many_datagrams_from_many_clients() {
    let server = ThreadingUdpServer::bind("127.0.0.1:0", || echo).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let clients: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let client = udp_client();
                client
                    .set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let mut buf = [0; 64];
                for round in 0..20 {
                    let msg = format!("{i}:{round}");
                    // UDP may drop: retry each datagram, within the test's deadline.
                    let got = wait_until(IO_TIMEOUT, || {
                        client.send_to(msg.as_bytes(), addr).unwrap();
                        matches!(client.recv(&mut buf), Ok(n) if &buf[..n] == msg.as_bytes())
                    });
                    assert!(got, "no echo for {msg}");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    serving.stop().unwrap();
}

#[test]
fn the_reply_to_an_unnamed_unix_client_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dgram");
    let (tx, rx) = mpsc::channel();
    let server = socketserver::UnixDatagramServer::bind(
        &path,
        Hooks::new(|| echo).on_error(move |_, err| tx.send(err.to_string()).unwrap()),
    )
    .unwrap();
    let client = std::os::unix::net::UnixDatagram::unbound().unwrap();
    client.send_to(b"who am i", &path).unwrap();
    assert!(server.handle_request().unwrap());
    assert!(rx.recv_timeout(IO_TIMEOUT).unwrap().contains("unnamed"));
}
