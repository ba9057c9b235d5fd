//! `examples/select_echo_server.rs` as a user drives it: one thread serves every client
//! with byte-exact echo (CRLF, empty and binary lines, 1 MiB lines), `quit` closes, and
//! SIGTERM with clients still connected exits 0 within three seconds. With `--threads N`:
//! N loop threads, every one of them serving, echo still byte-exact, one SIGTERM ends them
//! all and the process with no reply in progress lost, and PROXY headers and TLS work.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use support::example::ExampleServer;
use support::{
    connect, connect_small_buffer, echo_protocol, round_trip, unacknowledged, wait_until,
    IO_TIMEOUT,
};

/// The threads of process `pid` that serve connections (its main thread, where the first
/// loop runs, and the `event-loop-*` threads), with how often each has gone to sleep so
/// far (`voluntary_ctxt_switches`: a loop sleeps in `epoll_wait` between connections).
fn loop_threads(pid: u32) -> BTreeMap<String, u64> {
    let mut threads = BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap().path();
        let tid = task.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(comm) = std::fs::read_to_string(task.join("comm")) else {
            continue; // the thread just ended
        };
        let comm = comm.trim_end();
        let name = if tid == pid.to_string() {
            "main".to_owned()
        } else if comm.starts_with("event-loop-") {
            comm.to_owned()
        } else {
            continue;
        };
        let status = std::fs::read_to_string(task.join("status")).unwrap_or_default();
        let switches = status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
            .map_or(0, |n| n.trim().parse().unwrap());
        threads.insert(name, switches);
    }
    threads
}

#[test]
fn echoes_lines_byte_exact_for_many_clients_at_once() {
    let server = ExampleServer::start("select_echo_server", &[]);
    let mut clients: Vec<_> = (0..20).map(|_| connect(server.addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        let line = format!("client {i}\r\n");
        assert_eq!(round_trip(client, &line), line);
    }
    echo_protocol::echoes_lines_byte_exact(server.addr);
}

#[test]
fn echoes_a_one_mebibyte_line() {
    let server = ExampleServer::start("select_echo_server", &[]);
    echo_protocol::echoes_a_one_mebibyte_line(server.addr);
}

#[test]
fn quit_closes_the_connection() {
    let server = ExampleServer::start("select_echo_server", &[]);
    echo_protocol::quit_closes_the_connection(server.addr);
}

#[test]
fn sigterm_with_idle_clients_exits_zero_within_three_seconds() {
    let mut server = ExampleServer::start("select_echo_server", &[]);
    let mut clients: Vec<_> = (0..5).map(|_| connect(server.addr)).collect();
    for client in &mut clients {
        assert_eq!(round_trip(client, "hi\n"), "hi\n");
    }
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn threads_3_runs_three_loops_and_every_one_serves() {
    let server = ExampleServer::start("select_echo_server", &["--threads", "3"]);
    // The loops' threads start once serving starts, just after the listening line.
    let expected = ["event-loop-1", "event-loop-2", "main"];
    assert!(
        wait_until(IO_TIMEOUT, || loop_threads(server.pid()).len() == 3),
        "three loop threads: {:?}",
        loop_threads(server.pid())
    );
    let before = loop_threads(server.pid());
    let names: Vec<_> = before.keys().cloned().collect();
    assert_eq!(names, expected);
    for i in 0..300 {
        let mut client = connect(server.addr);
        let line = format!("short {i}\n");
        assert_eq!(round_trip(&mut client, &line), line);
    }
    // Each loop was woken for its share of the 300 (about 100 each, at least one wake
    // apiece); an idle loop would not have slept and woken more than a few times.
    let after = loop_threads(server.pid());
    for (name, switches) in &after {
        let woken = switches - before[name];
        assert!(
            woken >= 20,
            "{name} was woken {woken} times: {before:?} -> {after:?}"
        );
    }
}

#[test]
fn threads_2_echoes_byte_exact_for_many_clients() {
    let server = ExampleServer::start("select_echo_server", &["--threads", "2"]);
    let mut clients: Vec<_> = (0..20).map(|_| connect(server.addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        let line = format!("client {i}\r\n");
        assert_eq!(round_trip(client, &line), line);
    }
    for _ in 0..4 {
        echo_protocol::echoes_lines_byte_exact(server.addr);
        echo_protocol::echoes_a_one_mebibyte_line(server.addr);
        echo_protocol::quit_closes_the_connection(server.addr);
    }
}

#[test]
fn threads_0_is_refused() {
    let output = std::process::Command::new(support::example::example_path("select_echo_server"))
        .args(["--threads", "0", "-p", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--threads"));
}

#[test]
fn threads_2_sigterm_ends_every_loop_and_no_reply_in_progress_is_lost() {
    let mut server = ExampleServer::start("select_echo_server", &["--threads", "2"]);
    // Eight slow readers, each with a 1 MiB line whose echo is still being written when
    // the signal comes; with two loops, both have some.
    let line = {
        let mut line = vec![b'z'; 1 << 20];
        line.push(b'\n');
        line
    };
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let client = connect_small_buffer(server.addr);
            let mut writer = client.try_clone().unwrap();
            let sent = line.clone();
            let sender = thread::spawn(move || writer.write_all(&sent));
            let mut reader = client.try_clone().unwrap();
            let receiver = thread::spawn(move || {
                let mut echo = Vec::new();
                reader.read_to_end(&mut echo).map(|_| echo)
            });
            (client, sender, receiver)
        })
        .collect();
    for (client, sender, _) in &clients {
        let _ = sender;
        assert!(wait_until(IO_TIMEOUT, || unacknowledged(client) == 0));
    }
    let pid = server.pid();
    // SAFETY: kill has no memory effects; the pid is the test's own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    for (_, sender, receiver) in clients {
        sender.join().unwrap().unwrap();
        let echo = receiver.join().unwrap().unwrap();
        assert_eq!(echo.len(), line.len(), "the whole echo");
        assert!(echo == line, "byte-exact");
    }
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn threads_2_takes_proxy_headers_on_every_connection() {
    let server = ExampleServer::start(
        "select_echo_server",
        &["--threads", "2", "--proxy-protocol"],
    );
    for i in 0..40u16 {
        let source = format!("192.0.2.9:{}", 2000 + i).parse().unwrap();
        let header = if i % 2 == 0 {
            support::proxy::v2(source, server.addr, None)
        } else {
            support::proxy::v1(source, server.addr)
        };
        let mut client = connect(server.addr);
        client.write_all(&header).unwrap();
        assert_eq!(round_trip(&mut client, "through\n"), "through\n");
    }
    // Without a header: closed, the handler never runs.
    let mut bare = connect(server.addr);
    bare.write_all(b"no header\n").unwrap();
    let mut rest = Vec::new();
    let _ = bare.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}

#[cfg(feature = "tls")]
#[test]
fn threads_2_serves_tls() {
    use support::tls::{certs, connect_tls};
    let certs = certs();
    let (cert, key) = (certs.cert.to_str().unwrap(), certs.key.to_str().unwrap());
    let server = ExampleServer::start(
        "select_echo_server",
        &["--threads", "2", "--tls-cert", cert, "--tls-key", key],
    );
    let config = certs.client_config(false);
    for i in 0..20 {
        let mut client = connect_tls(server.addr, &config).unwrap();
        let line = format!("secret {i}\n");
        assert_eq!(
            support::tls::round_trip(&mut client, line.as_bytes()),
            line.as_bytes()
        );
    }
}

#[test]
fn backend_io_uring_echoes_byte_exact_and_epoll_too() {
    for backend in ["io-uring", "epoll"] {
        let server = ExampleServer::start("select_echo_server", &["--backend", backend]);
        let mut client = connect(server.addr);
        assert_eq!(
            round_trip(&mut client, "caf\u{e9}\n"),
            "caf\u{e9}\n",
            "{backend}"
        );
    }
}

#[test]
fn an_unknown_backend_is_refused() {
    let output = std::process::Command::new(support::example::example_path("select_echo_server"))
        .args(["--backend", "select", "-p", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--backend"));
}
