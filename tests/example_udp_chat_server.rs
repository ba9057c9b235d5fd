//! `examples/udp_chat_server.rs` as users drive it: every sender is remembered and each
//! datagram goes to all the other known clients, never back to its sender; a datagram with
//! the word `quit` removes its sender (and tells the others); the idle server sleeps in
//! the kernel instead of spinning; a lecture-style Python client; SIGTERM.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use support::example::ExampleServer;
use support::programs::{argv, python};
use support::{recv_text, udp_client, wait_until, IO_TIMEOUT};

/// Clients that the server knows, in order: each says hello, heard by those before it.
fn join(server: SocketAddr, names: &[&str]) -> Vec<UdpSocket> {
    let mut joined: Vec<UdpSocket> = Vec::new();
    for name in names {
        let socket = udp_client();
        let hello = format!("[{name}] hello");
        socket.send_to(hello.as_bytes(), server).unwrap();
        for earlier in &joined {
            assert_eq!(recv_text(earlier), hello);
        }
        joined.push(socket);
    }
    // The last one is known once its hello is processed: hear it from the first.
    let first = format!("[{}] ready", names[0]);
    joined[0].send_to(first.as_bytes(), server).unwrap();
    for later in &joined[1..] {
        assert_eq!(recv_text(later), first);
    }
    joined
}

#[test]
fn relays_to_every_other_known_client_and_not_back() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    let c = join(server.addr, &["a", "b", "c"]);
    c[0].send_to(b"[a] hi", server.addr).unwrap();
    assert_eq!(recv_text(&c[1]), "[a] hi");
    assert_eq!(recv_text(&c[2]), "[a] hi");
    c[1].send_to("[b] 안녕".as_bytes(), server.addr).unwrap();
    // Had "[a] hi" come back to a, it would have arrived before b's datagram.
    assert_eq!(recv_text(&c[0]), "[b] 안녕");
    assert_eq!(recv_text(&c[2]), "[b] 안녕");
}

#[test]
fn quit_removes_its_sender() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    let c = join(server.addr, &["a", "b", "c"]);
    c[1].send_to(b"[b] I quite agree", server.addr).unwrap(); // not the word quit
    assert_eq!(recv_text(&c[0]), "[b] I quite agree");
    assert_eq!(recv_text(&c[2]), "[b] I quite agree");
    c[1].send_to(b"[b] quit", server.addr).unwrap();
    assert_eq!(recv_text(&c[0]), "[b] quit", "the others hear who left");
    assert_eq!(recv_text(&c[2]), "[b] quit");
    c[0].send_to(b"[a] b is gone", server.addr).unwrap();
    assert_eq!(recv_text(&c[2]), "[a] b is gone");
    // b comes back; the first thing it hears is what c says next, not a's line above.
    c[1].send_to(b"[b] back", server.addr).unwrap();
    assert_eq!(recv_text(&c[0]), "[b] back");
    assert_eq!(recv_text(&c[2]), "[b] back");
    c[2].send_to(b"[c] welcome back", server.addr).unwrap();
    assert_eq!(recv_text(&c[1]), "[c] welcome back");
}

/// The scheduler state of every thread of process `pid` (`R` running, `S` sleeping...).
fn thread_states(pid: u32) -> Vec<char> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
        // The state follows the command name, which is in parentheses.
        .filter_map(|stat| stat.rsplit_once(") ")?.1.chars().next())
        .collect()
}

#[test]
fn the_idle_server_sleeps_in_the_kernel() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    let c = join(server.addr, &["a", "b"]);
    c[0].send_to(b"[a] bye", server.addr).unwrap();
    assert_eq!(recv_text(&c[1]), "[a] bye");
    // The lecture's non-blocking loop never sleeps: its thread is always runnable.
    let pid = server.pid();
    assert!(
        wait_until(IO_TIMEOUT, || thread_states(pid).iter().all(|s| *s == 'S')),
        "some thread never sleeps: {:?}",
        thread_states(pid)
    );
}

#[test]
fn sigterm_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("udp_chat_server", &[]);
    join(server.addr, &["a", "b"]);
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn python_lecture_clients_chat() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    // threading_UDP_client.py's way: sendto('[' + id + '] ' + msg), recvfrom(1024).
    let script = r#"
import sys, socket
conn = (sys.argv[1], int(sys.argv[2]))
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for s in (a, b):
    s.settimeout(10)
a.sendto("[a] hello".encode(), conn)
b.sendto("[b] hello".encode(), conn)
msg, addr = a.recvfrom(1024)
print(msg.decode())
a.sendto("[a] 안녕".encode(), conn)
msg, addr = b.recvfrom(1024)
print(msg.decode())
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(out, "[b] hello\n[a] 안녕\n");
    }
}
