//! `--proxy-protocol` through the examples (`echo_server`, threads, and
//! `select_echo_server`, the event loop), as a user runs them behind a balancer: v1 and v2
//! headers make the header's source the logged client; a connection with no header,
//! garbage, a truncated header, one that stalls past the 5 s header timeout, a header
//! from a source not in `--proxy-trusted`, or a v2 header with bogus lengths is closed
//! without an echo and logged, and the clients served meanwhile are not held up. (The
//! in-process cases, every server mode, are `proxy_protocol_every_server`.)

mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use support::balancer::{connect_from, Instance};
use support::example::example_path;
use support::proxy::{v1, v2, v2_local};
use support::wait_until;

const EXAMPLES: [&str; 2] = ["echo_server", "select_echo_server"];

fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

fn balancer_client() -> SocketAddr {
    "192.0.2.7:40000".parse().unwrap()
}

/// `example --proxy-protocol` on port 0, logging at debug: the event loop logs a
/// connection that leaves in the middle of its header at that level (the threaded
/// servers report it to `handle_error`, at info).
fn start(example: &str, extra: &[&str]) -> Instance {
    let mut command = Command::new(example_path(example));
    command
        .args(["-p", "0", "--proxy-protocol"])
        .args(extra)
        .env("RUST_LOG", "debug");
    Instance::spawn(example, command)
}

/// Sends `bytes`, then reads until the server closes; returns what came back. A server
/// that keeps the connection open past `limit` fails the test.
fn closed_after(addr: SocketAddr, bytes: &[u8], limit: Duration) -> Vec<u8> {
    let mut stream = connect_from(loopback(), addr).expect("connect");
    stream.set_read_timeout(Some(limit)).unwrap();
    stream.write_all(bytes).expect("send");
    let mut back = Vec::new();
    match stream.read_to_end(&mut back) {
        Ok(_) => back,
        // A close with unread bytes is a reset: closed all the same.
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => back,
        Err(err) => panic!("not closed within {limit:?} after {bytes:?}: {err}"),
    }
}

/// A v2 header whose length field says `length`, followed by `length.min(body)` bytes.
fn v2_with_length(length: u16, body: usize) -> Vec<u8> {
    let mut header = v2(balancer_client(), "127.0.0.1:2500".parse().unwrap(), None);
    header.truncate(16);
    header[14..16].copy_from_slice(&length.to_be_bytes());
    header.extend(std::iter::repeat_n(0u8, body.min(usize::from(length))));
    header
}

/// Waits until the instance has logged a PROXY protocol complaint containing `what`.
fn logged(instance: &Instance, what: &str) {
    assert!(
        wait_until(Duration::from_secs(10), || instance
            .log
            .all()
            .iter()
            .any(|line| line.contains("PROXY") && line.contains(what))),
        "{} logged no {what:?}: {:?}",
        instance.name,
        instance.log.all()
    );
}

#[test]
fn v1_and_v2_headers_make_the_balancers_client_the_logged_one() {
    for example in EXAMPLES {
        let server = start(example, &[]);
        let destination = server.addr;
        for (n, header) in [
            v1("192.0.2.7:40001".parse().unwrap(), destination),
            v2(
                "192.0.2.7:40002".parse().unwrap(),
                destination,
                Some("example.com"),
            ),
            v1(
                "[2001:db8::7]:40003".parse().unwrap(),
                "[::1]:2500".parse().unwrap(),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let mut request = header;
            request.extend_from_slice(format!("line {n}\r\n").as_bytes());
            let mut stream = connect_from(loopback(), server.addr).unwrap();
            stream.write_all(&request).unwrap();
            let mut reply = vec![0; format!("line {n}\r\n").len()];
            stream.read_exact(&mut reply).unwrap();
            assert_eq!(reply, format!("line {n}\r\n").as_bytes(), "{example}");
        }
        // A v2 LOCAL header (a health check) keeps the socket's own peer.
        let mut local = v2_local();
        local.extend_from_slice(b"check\n");
        let mut stream = connect_from(loopback(), server.addr).unwrap();
        stream.write_all(&local).unwrap();
        let mut reply = [0; 6];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"check\n");
        if example == "echo_server" {
            // select_echo_server does not log each connection.
            // The log comes through a pipe: it may lag the replies.
            let expected: Vec<SocketAddr> =
                ["192.0.2.7:40001", "192.0.2.7:40002", "[2001:db8::7]:40003"]
                    .iter()
                    .map(|addr| addr.parse().unwrap())
                    .collect();
            let all_logged = || {
                let clients = server.clients();
                expected.iter().all(|addr| clients.contains(addr))
                    && clients.iter().any(|c| c.ip().is_loopback())
            };
            assert!(
                wait_until(Duration::from_secs(10), all_logged),
                "{example}: {:?}",
                server.clients()
            );
        }
    }
}

#[test]
fn bad_headers_are_closed_without_an_echo_and_logged() {
    for example in EXAMPLES {
        let server = start(example, &[]);
        let limit = Duration::from_secs(10);
        let cases: [(&str, Vec<u8>, &str); 5] = [
            (
                "no header",
                b"hello\n".to_vec(),
                "not a PROXY protocol header",
            ),
            (
                "garbage",
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n".to_vec(),
                "not a PROXY protocol header",
            ),
            (
                "a v1 header with a bad address",
                b"PROXY TCP4 1.2.3 127.0.0.1 5 6\r\nhi\n".to_vec(),
                "v1",
            ),
            (
                "v2, a length too short for its addresses",
                v2_with_length(4, 4),
                "v2",
            ),
            (
                "v2, a length past any header",
                v2_with_length(u16::MAX, 64),
                "more than",
            ),
        ];
        for (case, bytes, complaint) in cases {
            let back = closed_after(server.addr, &bytes, limit);
            assert!(back.is_empty(), "{example}, {case}: echoed {back:?}");
            logged(&server, complaint);
        }
        // A header cut short by the end of the connection.
        let mut stream = connect_from(loopback(), server.addr).unwrap();
        stream.write_all(b"PROXY TCP4 192.0.2.7").unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = Vec::new();
        let _ = stream.read_to_end(&mut back);
        assert!(
            back.is_empty(),
            "{example}: truncated header echoed {back:?}"
        );
        logged(&server, "before its PROXY header");
        // And the server goes on serving.
        let mut good = v2(balancer_client(), server.addr, None);
        good.extend_from_slice(b"still here\n");
        let mut stream = connect_from(loopback(), server.addr).unwrap();
        stream.write_all(&good).unwrap();
        let mut reply = [0; 11];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"still here\n", "{example}");
    }
}

#[test]
fn a_stalled_header_is_closed_after_the_timeout_and_holds_up_nobody() {
    for example in EXAMPLES {
        let server = start(example, &[]);
        // Half a v2 header, then nothing: the 5 s header timeout closes it.
        let header = v2(balancer_client(), server.addr, None);
        let mut stalled = connect_from(loopback(), server.addr).unwrap();
        stalled
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stalled.write_all(&header[..20]).unwrap();
        // Meanwhile other clients are served at once, with and without stalling ones.
        let mut also_stalled: Vec<TcpStream> = (0..20)
            .map(|_| {
                let mut stream = connect_from(loopback(), server.addr).unwrap();
                stream.write_all(b"PROXY TCP4 ").unwrap();
                stream
            })
            .collect();
        for n in 0..20 {
            let mut request = v1(balancer_client(), server.addr);
            let line = format!("meanwhile {n}\n");
            request.extend_from_slice(line.as_bytes());
            let mut stream = connect_from(loopback(), server.addr).unwrap();
            stream.write_all(&request).unwrap();
            let mut reply = vec![0; line.len()];
            stream.read_exact(&mut reply).unwrap();
            assert_eq!(reply, line.as_bytes(), "{example}");
        }
        let mut back = Vec::new();
        match stalled.read_to_end(&mut back) {
            Ok(_) => assert!(back.is_empty(), "{example}: {back:?}"),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(err) => panic!("{example}: stalled header not closed: {err}"),
        }
        logged(&server, "no complete PROXY header within");
        for stream in &mut also_stalled {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut back = Vec::new();
            let _ = stream.read_to_end(&mut back);
            assert!(back.is_empty());
        }
    }
}

#[test]
fn a_header_from_an_untrusted_source_is_refused() {
    for example in EXAMPLES {
        // Only 127.0.0.9 may send headers; the test connects from 127.0.0.1.
        let server = start(example, &["--proxy-trusted", "127.0.0.9/32"]);
        let mut request = v2(balancer_client(), server.addr, None);
        request.extend_from_slice(b"forged\n");
        let back = closed_after(server.addr, &request, Duration::from_secs(10));
        assert!(back.is_empty(), "{example}: echoed {back:?}");
        logged(&server, "is not a trusted PROXY protocol source");
        // The trusted balancer is served.
        let trusted: IpAddr = "127.0.0.9".parse().unwrap();
        let mut stream = connect_from(trusted, server.addr).unwrap();
        let mut request = v2(balancer_client(), server.addr, None);
        request.extend_from_slice(b"trusted\n");
        stream.write_all(&request).unwrap();
        let mut reply = [0; 8];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"trusted\n", "{example}");
    }
}
