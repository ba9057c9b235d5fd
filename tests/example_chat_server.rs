//! `examples/chat_server.rs` as users drive it: lines relayed to every other client and
//! never back to the sender (`--echo-self`: to the sender too), a client that stops
//! reading dropped without holding up the others, a disconnected client dropped, a
//! lecture-style Python client, and SIGTERM with clients connected.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::drive::LineClient;
use support::example::ExampleServer;
use support::programs::{argv, python};
use support::{connect_small_buffer, wait_until, IO_TIMEOUT};

const PROBE: Duration = Duration::from_millis(100);

/// Returns once the server relays between `clients[0]` and each of the others: probes
/// from the first reach every other, then a `synced` line ends the probes everywhere.
fn join(mut clients: Vec<LineClient>, echo_self: bool) -> Vec<LineClient> {
    let deadline = Instant::now() + IO_TIMEOUT;
    for i in 1..clients.len() {
        loop {
            assert!(Instant::now() < deadline, "client {i} never joined");
            clients[0].send("probe\n");
            if clients[i].line_within(PROBE).is_some() {
                break;
            }
        }
    }
    clients[0].send("synced\n");
    let skip = if echo_self { 0 } else { 1 };
    for client in &mut clients[skip..] {
        while client.next_line() != "synced\n" {}
    }
    clients
}

/// A client with a small receive buffer that will read nothing once joined.
fn stalled_client(addr: SocketAddr) -> LineClient {
    LineClient::from_stream(connect_small_buffer(addr))
}

fn connect_all(addr: SocketAddr, n: usize) -> Vec<LineClient> {
    (0..n).map(|_| LineClient::connect(addr)).collect()
}

#[test]
fn relays_to_every_other_client_and_not_back_to_the_sender() {
    let server = ExampleServer::start("chat_server", &[]);
    let mut c = join(connect_all(server.addr, 3), false);
    c[0].send("alice: hello\n");
    assert_eq!(c[1].next_line(), "alice: hello\n");
    assert_eq!(c[2].next_line(), "alice: hello\n");
    c[1].send("bob: 안녕\n");
    // Had alice's line come back to her, it would be queued ahead of bob's.
    assert_eq!(c[0].next_line(), "bob: 안녕\n");
    assert_eq!(c[2].next_line(), "bob: 안녕\n");
}

#[test]
fn echo_self_sends_the_line_back_to_its_sender_too() {
    let server = ExampleServer::start("chat_server", &["--echo-self"]);
    let mut c = join(connect_all(server.addr, 2), true);
    c[0].send("alice: hello\n");
    assert_eq!(c[0].next_line(), "alice: hello\n");
    assert_eq!(c[1].next_line(), "alice: hello\n");
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_never_holds_up_the_others() {
    let server = ExampleServer::start("chat_server", &[]);
    let stalled = stalled_client(server.addr);
    let clients = vec![
        LineClient::connect(server.addr),
        LineClient::connect(server.addr),
        stalled,
    ];
    let [mut sender, mut reader, mut stalled]: [LineClient; 3] =
        join(clients, false).try_into().ok().unwrap();

    // Rounds of 256 KiB, each read in full by the reading client before the next is sent:
    // it keeps up. 8 MiB in all: more than the stalled client's socket buffers and its
    // 1 MiB backlog together. Had a relay waited on the stalled client, a round would
    // never arrive.
    const ROUND: usize = 256 << 10;
    const ROUNDS: usize = 32;
    let round = format!("{}\n", "x".repeat(1023)).repeat(ROUND / 1024);
    let mut buf = vec![0; ROUND];
    for n in 0..ROUNDS {
        sender.stream.write_all(round.as_bytes()).unwrap();
        reader
            .stream
            .read_exact(&mut buf)
            .unwrap_or_else(|err| panic!("round {n} did not reach the reading client: {err}"));
        assert!(buf == round.as_bytes(), "round {n} arrived changed");
    }

    // The stalled client was cut off: what it finds is a part of the flood, then the end.
    let mut rest = Vec::new();
    match stalled.stream.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(err) => assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}"),
    }
    assert!(
        rest.len() < ROUND * ROUNDS,
        "the stalled client got everything"
    );
    // And the chat goes on.
    sender.send("still here\n");
    assert_eq!(reader.next_line(), "still here\n");
}

/// Threads of process `pid`.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count()
}

#[test]
fn a_client_that_disconnects_is_dropped() {
    let server = ExampleServer::start("chat_server", &[]);
    let pid = server.pid();
    let [alice, mut carol]: [LineClient; 2] = join(connect_all(server.addr, 2), false)
        .try_into()
        .ok()
        .unwrap();
    let before = threads(pid);
    let bob = LineClient::connect(server.addr);
    let [mut alice, bob]: [LineClient; 2] = join(vec![alice, bob], false).try_into().ok().unwrap();
    assert_eq!(carol.next_line(), "probe\n"); // carol heard the probes too
    while carol.next_line() != "synced\n" {}
    drop(bob);
    // Bob's handler and writer threads end only once he is off the list.
    assert!(
        wait_until(IO_TIMEOUT, || threads(pid) == before),
        "bob's threads still running: {} (before him: {before})",
        threads(pid)
    );
    alice.send("alice: bob left\n");
    assert_eq!(carol.next_line(), "alice: bob left\n");
}

#[test]
fn sigterm_with_clients_connected_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("chat_server", &[]);
    let mut c = join(connect_all(server.addr, 2), false);
    c[0].send("alice: bye\n");
    assert_eq!(c[1].next_line(), "alice: bye\n");
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_while_a_client_does_not_read_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("chat_server", &[]);
    let clients = vec![
        LineClient::connect(server.addr),
        LineClient::connect(server.addr),
        stalled_client(server.addr),
    ];
    let [mut sender, mut reader, _stalled]: [LineClient; 3] =
        join(clients, false).try_into().ok().unwrap();
    // Its socket buffers take about 2.8 MB here (Linux loopback defaults); 3.25 MiB
    // fills them and leaves less than the 1 MiB backlog limit queued, so the stalled
    // client stays on the list with its writer blocked.
    // In rounds the reader keeps up with, as above.
    let round = format!("{}\n", "x".repeat(1023)).repeat(256);
    let mut buf = vec![0; round.len()];
    for _ in 0..13 {
        sender.send(&round);
        reader
            .stream
            .read_exact(&mut buf)
            .expect("the reader was cut off");
    }
    // What the reader has, the stalled client's queue has too.
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn python_lecture_clients_chat() {
    let server = ExampleServer::start("chat_server", &[]);
    // Two clients written as in threading_server.py's lecture: socket, send, recv(1024).
    let script = r#"
import sys, socket
addr = (sys.argv[1], int(sys.argv[2]))
a = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
for s in (a, b):
    s.settimeout(10)
    s.connect(addr)
b.settimeout(0.1)
data = b""
for _ in range(100):  # until b is on the list: a's probes reach it
    a.send(b"probe\n")
    try:
        data += b.recv(1024)
        break
    except socket.timeout:
        pass
b.settimeout(10)
a.send("a: 안녕하세요\n".encode())
while b"a: " not in data:
    data += b.recv(1024)
print(data.decode().splitlines()[-1])
a.close()
b.close()
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(out, "a: 안녕하세요\n");
    }
}
