//! The echo examples (`echo_server`, `pool_echo_server`, `forking_echo_server`,
//! `select_echo_server`) stop on SIGTERM and SIGINT without losing a reply and without
//! waiting on a client forever: a reply being written when the signal comes (2 MiB to a
//! slow reader) arrives whole, and a client that sent 20 MB and never reads does not keep
//! the server running past the examples' 3-second contract. A line without end costs a server a
//! bounded amount of memory.

mod support;

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use support::example::ExampleServer;
use support::{connect, connect_small_buffer, unacknowledged, wait_until, IO_TIMEOUT};

const SERVERS: [&str; 4] = [
    "echo_server",
    "pool_echo_server",
    "forking_echo_server",
    "select_echo_server",
];

/// The contract: exit 0 within 3 s of the signal, clients connected or not.
const EXIT_LIMIT: Duration = Duration::from_secs(3);

#[test]
fn a_large_reply_in_progress_at_sigterm_arrives_whole() {
    for name in SERVERS {
        let mut server = ExampleServer::start(name, &[]);
        // A small receive buffer keeps the server's echo slow, so it is still being
        // written when the signal comes.
        let client = connect_small_buffer(server.addr);
        let mut line = vec![b'x'; 2 << 20];
        line.push(b'\n');
        let sender = {
            let mut client = client.try_clone().unwrap();
            let line = line.clone();
            thread::spawn(move || client.write_all(&line))
        };
        let reader = {
            let mut client = client.try_clone().unwrap();
            thread::spawn(move || {
                let mut echo = Vec::new();
                client.read_to_end(&mut echo).map(|_| echo)
            })
        };
        // The signal comes once the server's kernel has the whole line: what a client has
        // sent is read and answered; what it is still sending when a server stops is not
        // a request the server has.
        sender.join().unwrap().unwrap();
        assert!(wait_until(IO_TIMEOUT, || unacknowledged(&client) == 0));
        let pid = server.pid();
        // SAFETY: kill has no memory effects; the pid is the test's own child.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        let echo = reader.join().unwrap().unwrap();
        assert_eq!(echo.len(), line.len(), "{name}: the whole echo");
        assert!(echo == line, "{name}: byte-exact");
        let status = server.stop_with(libc::SIGTERM, EXIT_LIMIT);
        assert!(
            status.success() || status.code().is_none(),
            "{name}: {status}"
        );
    }
}

#[test]
fn a_client_that_never_reads_does_not_keep_the_server_alive() {
    for (name, signal) in SERVERS
        .iter()
        .zip([libc::SIGINT, libc::SIGTERM].iter().cycle())
    {
        let mut server = ExampleServer::start(name, &[]);
        let client = connect(server.addr);
        let idle = connect(server.addr);
        // 20 MB with no end of line, never reading the echo: the server's writes block.
        let sender = {
            let mut client = client.try_clone().unwrap();
            thread::spawn(move || {
                let chunk = vec![b'y'; 1 << 20];
                for _ in 0..20 {
                    if client.write_all(&chunk).is_err() {
                        return; // the server ended the connection
                    }
                }
            })
        };
        // Wait until the server is stuck writing: the client's receive queue is full.
        assert!(wait_until(IO_TIMEOUT, || support::queued(&client) > 64 * 1024));
        let status = server.stop_with(*signal, EXIT_LIMIT);
        assert_eq!(status.code(), Some(0), "{name} after signal {signal}");
        drop((client, idle));
        sender.join().unwrap();
    }
}

#[test]
fn a_line_without_end_costs_bounded_memory() {
    for name in ["echo_server", "pool_echo_server", "select_echo_server"] {
        let server = ExampleServer::start(name, &[]);
        let before = rss_kib(server.pid());
        let mut client = connect(server.addr);
        let reader = {
            let mut client = client.try_clone().unwrap();
            thread::spawn(move || {
                let mut buf = vec![0; 1 << 16];
                let mut got = 0;
                while got < 20 << 20 {
                    match client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got += n,
                    }
                }
                got
            })
        };
        let chunk = vec![b'z'; 1 << 20];
        let mut peak = before;
        for _ in 0..20 {
            client.write_all(&chunk).unwrap();
            peak = peak.max(rss_kib(server.pid()));
        }
        assert_eq!(
            reader.join().unwrap(),
            20 << 20,
            "{name}: echoed as it came"
        );
        // 20 MB went through; the server grew by far less (its pieces are 64 KiB).
        assert!(
            peak - before < 8 * 1024,
            "{name}: RSS grew from {before} KiB to {peak} KiB"
        );
    }
}

/// A process's resident memory, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}
