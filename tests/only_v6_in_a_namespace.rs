//! `only_v6` (IPV6_V6ONLY) decides whether IPv4 clients reach a server bound to the IPv6
//! wildcard `[::]`: with `only_v6(true)` a client of 127.0.0.1 is refused, with `false` it
//! is served (as `::ffff:127.0.0.1`), and an IPv6 client is served either way; for a TCP
//! and a UDP server.
//!
//! A wildcard bind listens on every interface, so the checks run in a network namespace
//! the test makes (only its loopback, up): the test binary runs itself there with
//! `ip netns exec`, and the namespace is deleted at the end, failed or not. Where
//! namespaces cannot be made (no privilege) the test says SKIPPED, except on CI, where
//! it fails.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use socketserver::{DatagramRequest, Serve, StreamRequest, ThreadingTcpServer, UdpServer};
use support::{Serving, IO_TIMEOUT};

/// Set in the run inside the namespace.
const INSIDE: &str = "SOCKETSERVER_TEST_INSIDE_NETNS";

#[test]
fn only_v6_decides_whether_ipv4_clients_reach_a_wildcard_ipv6_server() {
    if std::env::var_os(INSIDE).is_some() {
        for only_v6 in [true, false] {
            tcp_server_with(only_v6);
            udp_server_with(only_v6);
        }
        return;
    }
    let Some(ip) = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|path| Path::new(path).exists())
    else {
        support::skip("ip (iproute2) not found");
        return;
    };
    let name = format!("ss-v6only-{}", std::process::id());
    if let Err(err) = run(ip, &["netns", "add", &name]) {
        support::skip(&format!("cannot make a network namespace: {err}"));
        return;
    }
    // Deleted whatever happens below.
    struct Delete<'a>(&'a str, &'a str);
    impl Drop for Delete<'_> {
        fn drop(&mut self) {
            let _ = run(self.0, &["netns", "delete", self.1]);
        }
    }
    let _delete = Delete(ip, &name);
    run(ip, &["-n", &name, "link", "set", "lo", "up"]).unwrap();
    let me = std::env::current_exe().unwrap();
    let inside = Command::new(ip)
        .args(["netns", "exec", &name])
        .arg(&me)
        .args([
            "only_v6_decides_whether_ipv4_clients_reach_a_wildcard_ipv6_server",
            "--exact",
            "--nocapture",
        ])
        .env(INSIDE, "1")
        .output()
        .unwrap();
    assert!(
        inside.status.success(),
        "inside the namespace: {}\n{}",
        String::from_utf8_lossy(&inside.stdout),
        String::from_utf8_lossy(&inside.stderr)
    );
    assert!(
        String::from_utf8_lossy(&inside.stdout).contains("1 passed"),
        "the checks ran inside"
    );
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|err| err.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// Answers each client with the address it came from.
fn tcp_server_with(only_v6: bool) {
    let server = ThreadingTcpServer::builder()
        .only_v6(only_v6)
        .bind("[::]:0", || {
            |req: &mut StreamRequest| writeln!(req.wfile, "{}", req.client_address)
        })
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = serve(server);
    assert!(
        seen_by_tcp_server(SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port)))
            .unwrap()
            .starts_with("[::1]:"),
        "an IPv6 client is served (only_v6 {only_v6})"
    );
    let v4 = seen_by_tcp_server(SocketAddr::from(([127, 0, 0, 1], port)));
    if only_v6 {
        assert_eq!(v4.unwrap_err().kind(), ErrorKind::ConnectionRefused);
    } else {
        assert!(
            v4.unwrap().starts_with("[::ffff:127.0.0.1]:"),
            "an IPv4 client is served as a mapped address"
        );
    }
    serving.stop().unwrap();
}

/// Serves `server` on a thread of its own until the returned `Serving` stops it.
fn serve(server: impl Serve + 'static) -> Serving {
    Serving::start(server.shutdown_handle(), move || server.serve_forever())
}

fn seen_by_tcp_server(addr: SocketAddr) -> std::io::Result<String> {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line)
}

fn udp_server_with(only_v6: bool) {
    let server = UdpServer::builder()
        .only_v6(only_v6)
        .bind("[::]:0", || {
            |req: &mut DatagramRequest| {
                let from = req.client_address.to_string();
                req.wfile.write_all(from.as_bytes())
            }
        })
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = serve(server);
    let v6 = seen_by_udp_server(
        "[::1]:0",
        SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port)),
    );
    assert!(v6.unwrap().starts_with("[::1]:"), "only_v6 {only_v6}");
    let v4 = seen_by_udp_server("127.0.0.1:0", SocketAddr::from(([127, 0, 0, 1], port)));
    if only_v6 {
        // The kernel answers port-unreachable: a connected socket reads it as refused.
        assert_eq!(v4.unwrap_err().kind(), ErrorKind::ConnectionRefused);
    } else {
        assert!(v4.unwrap().starts_with("[::ffff:127.0.0.1]:"));
    }
    serving.stop().unwrap();
}

fn seen_by_udp_server(local: &str, server: SocketAddr) -> std::io::Result<String> {
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    socket.send(b"who am I")?;
    let mut buf = [0; 128];
    let n = socket.recv(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}
