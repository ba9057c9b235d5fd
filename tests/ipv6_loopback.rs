//! Servers bind IPv6 addresses like IPv4 ones.

mod support;

use std::io::{self, BufRead, Write};

use socketserver::{DatagramRequest, StreamRequest, ThreadingTcpServer, UdpServer};
use support::{round_trip, skip, Serving, IO_TIMEOUT};

fn ipv6_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[test]
fn tcp_echo_over_ipv6_loopback() {
    if !ipv6_available() {
        skip("::1 is not available on this machine");
        return;
    }
    let server = ThreadingTcpServer::bind("[::1]:0", || {
        |req: &mut StreamRequest| {
            let mut line = String::new();
            req.rfile.read_line(&mut line)?;
            req.wfile.write_all(line.as_bytes())
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    assert!(addr.is_ipv6());
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let mut client = support::connect(addr);
    assert_eq!(round_trip(&mut client, "over v6\n"), "over v6\n");
    serving.stop().unwrap();
}

#[test]
fn udp_echo_over_ipv6_loopback() {
    if !ipv6_available() {
        skip("::1 is not available on this machine");
        return;
    }
    let server = UdpServer::bind("[::1]:0", || {
        |req: &mut DatagramRequest| -> io::Result<()> {
            req.wfile = req.packet().to_vec();
            Ok(())
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let client = std::net::UdpSocket::bind("[::1]:0").unwrap();
    client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    client.send_to(b"v6 datagram", addr).unwrap();
    assert!(server.handle_request().unwrap());
    let mut buf = [0; 32];
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"v6 datagram");
}
