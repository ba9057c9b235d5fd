//! `examples/forking_echo_server.rs` as a user drives it: `Hello` -> `Hello Client`,
//! `Good` -> `Good Afternoon`, byte-exact echo otherwise, `quit`; clients served at once,
//! each by a child process of the server; children reaped when their clients leave; and
//! SIGTERM with clients connected ending the server with code 0 and no child left behind.
//!
//! The example forks, not this test: it runs as a process of its own, so this binary can
//! use libtest's threads.

mod support;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use support::drive::LineClient;
use support::example::ExampleServer;
use support::programs::{argv, python};
use support::{connect, echo_protocol, round_trip, wait_until, IO_TIMEOUT};

/// The children of process `parent`: `(pid, state)` from /proc (`Z` is a zombie).
fn children_of(parent: u32) -> Vec<(i32, char)> {
    let parent = parent.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
            // A process can end between listing and reading: skip it.
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let (_, rest) = stat.rsplit_once(')')?;
            let mut fields = rest.split_whitespace();
            let state = fields.next()?.chars().next()?;
            (fields.next()? == parent).then_some((pid, state))
        })
        .collect()
}

fn running_children(server: &ExampleServer) -> Vec<i32> {
    children_of(server.pid())
        .into_iter()
        .filter(|&(_, state)| state != 'Z')
        .map(|(pid, _)| pid)
        .collect()
}

#[test]
fn hello_and_good_are_answered() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    let mut client = connect(server.addr);
    for (line, reply) in [
        ("Hello\n", "Hello Client\n"),
        ("Good\n", "Good Afternoon\n"),
        ("Hello\r\n", "Hello Client\r\n"),
        ("Good\r\n", "Good Afternoon\r\n"),
        // Only the whole line: anything else is echoed.
        ("hello\n", "hello\n"),
        ("Hello there\n", "Hello there\n"),
        ("Good \n", "Good \n"),
    ] {
        assert_eq!(round_trip(&mut client, line), reply, "for {line:?}");
    }
}

#[test]
fn other_lines_are_echoed_byte_exact() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    echo_protocol::echoes_lines_byte_exact(server.addr);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    echo_protocol::echoes_a_one_mebibyte_line(server.addr);
}

#[test]
fn quit_closes_the_connection() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    let rest = echo_protocol::quit_closes_the_connection(server.addr);
    assert!(rest.is_empty(), "nothing after quit, got {rest:?}");
}

#[test]
fn clients_are_served_at_once_each_by_a_child_of_its_own() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    assert!(running_children(&server).is_empty());
    let mut clients: Vec<_> = (0..3).map(|_| LineClient::connect(server.addr)).collect();
    // Every client is answered while the others stay connected and idle: none waits for
    // another to leave (the lecture's `p1.join()` served one client at a time).
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(client.ask("Hello\n"), "Hello Client\n");
        assert_eq!(
            client.ask(&format!("client {i}\n")),
            format!("client {i}\n")
        );
    }
    let children = running_children(&server);
    assert_eq!(children.len(), 3, "one child per client: {children:?}");
    assert!(!children.contains(&(server.pid() as i32)));
    // Still served, in the other order.
    for client in clients.iter_mut().rev() {
        assert_eq!(client.ask("Good\n"), "Good Afternoon\n");
    }
}

#[test]
fn children_are_reaped_when_their_clients_leave() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    let mut quitting = LineClient::connect(server.addr);
    let mut leaving = LineClient::connect(server.addr);
    assert_eq!(quitting.ask("Hello\n"), "Hello Client\n");
    assert_eq!(leaving.ask("Good\n"), "Good Afternoon\n");
    assert_eq!(running_children(&server).len(), 2);

    quitting.send("quit\n");
    drop(leaving); // goes away without a word
    assert!(
        wait_until(IO_TIMEOUT, || children_of(server.pid()).is_empty()),
        "children left (a zombie is unreaped): {:?}",
        children_of(server.pid())
    );
    // And the server goes on serving.
    let mut next = connect(server.addr);
    assert_eq!(round_trip(&mut next, "Hello\n"), "Hello Client\n");
}

#[test]
fn sigterm_with_idle_clients_exits_zero_within_three_seconds_leaving_no_child() {
    let mut server = ExampleServer::start("forking_echo_server", &[]);
    let mut clients: Vec<_> = (0..3).map(|_| connect(server.addr)).collect();
    for client in &mut clients {
        assert_eq!(round_trip(client, "Hello\n"), "Hello Client\n");
    }
    let children = running_children(&server);
    assert_eq!(children.len(), 3);
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
    // The server waited for and reaped every child before exiting: none was orphaned.
    for pid in children {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "child {pid} outlived the server"
        );
    }
    // Each child ended its client's connection.
    for client in &mut clients {
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "got {rest:?}");
    }
}

#[test]
fn sigint_exits_zero() {
    let mut server = ExampleServer::start("forking_echo_server", &[]);
    let _idle = connect(server.addr);
    let status = server.stop_with(libc::SIGINT, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn python_lecture_clients_get_their_answers() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    // Written the way the lectures write clients: socket, send, recv(1024); two clients
    // connected at once, as the lecture says to try.
    let script = r#"
import socket, sys
addr = (sys.argv[1], int(sys.argv[2]))
socks = [socket.create_connection(addr, timeout=10) for _ in range(2)]
for msg in ["Hello", "Good", "안녕하세요"]:
    for sock in socks:
        sock.send((msg + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            data += sock.recv(1024)
        print(data.decode(), end="")
for sock in socks:
    sock.send(b"quit\n")
    assert sock.recv(1024) == b""
    sock.close()
"#;
    if let Some(out) = python(script, &argv(server.addr)) {
        assert_eq!(
            out,
            "Hello Client\nHello Client\nGood Afternoon\nGood Afternoon\n안녕하세요\n안녕하세요\n"
        );
    }
}

/// Forking from a process with other threads is unsafe, so the server must have none:
/// not for signals, not for stopping.
#[test]
fn the_server_runs_on_one_thread() {
    let server = ExampleServer::start("forking_echo_server", &[]);
    let mut client = connect(server.addr);
    assert_eq!(round_trip(&mut client, "Hello\n"), "Hello Client\n");
    let threads = std::fs::read_dir(format!("/proc/{}/task", server.pid()))
        .unwrap()
        .count();
    assert_eq!(threads, 1, "the forking server's threads");
}
