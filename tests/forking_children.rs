//! How a forking server manages its children: one process per client, served at once,
//! `max_children` honoured, a finished child's slot freed at once, killed children
//! reaped, no zombies, and `server_close` with and without `block_on_close`.
//!
//! This binary forks: it runs with `harness = false` (see `support::fork`). Every server
//! here has a connection timeout, so a failed test cannot leave a child waiting forever.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use socketserver::{ForkingTcpServer, StreamHandler, StreamRequest};
use support::fork::{capture_logs, children, kill, logged, with_foreign_child, zombies};
use support::{connect, wait_until, Hooks, Serving, IO_TIMEOUT};

const POLL: Duration = Duration::from_millis(10);
/// A poll interval no test waits out: what happens within a test is woken, not polled.
const NEVER: Duration = Duration::from_secs(3600);

fn main() {
    capture_logs();
    support::fork::run(&[
        (
            "each_client_is_served_by_a_different_process",
            each_client_is_served_by_a_different_process,
        ),
        (
            "two_slow_clients_are_served_at_once",
            two_slow_clients_are_served_at_once,
        ),
        (
            "finished_children_are_reaped_without_waiting_for_the_poll_interval",
            finished_children_are_reaped_without_waiting_for_the_poll_interval,
        ),
        (
            "killed_children_are_reaped_and_leave_no_zombies",
            killed_children_are_reaped_and_leave_no_zombies,
        ),
        ("max_children_is_honoured", max_children_is_honoured),
        (
            "at_the_limit_a_finished_child_frees_its_slot_at_once",
            at_the_limit_a_finished_child_frees_its_slot_at_once,
        ),
        (
            "block_on_close_waits_for_every_child",
            block_on_close_waits_for_every_child,
        ),
        (
            "without_block_on_close_children_are_left_running",
            without_block_on_close_children_are_left_running,
        ),
    ]);
}

/// Sends the child's pid, then holds the connection until the client releases it.
///
/// Not until end-of-file: clients live in this process, so every child forked after a
/// client connected holds a copy of that client's socket, and closing ours ends nothing.
fn pid_then_hold(req: &mut StreamRequest) -> std::io::Result<()> {
    writeln!(req.wfile, "{}", std::process::id())?;
    req.rfile.read_line(&mut String::new())?;
    Ok(())
}

/// Ends a `pid_then_hold` request.
fn release(mut stream: TcpStream) {
    stream.write_all(b"bye\n").unwrap();
}

/// A forking server serving on a background thread; `turns` counts loop turns.
fn start<H: StreamHandler>(
    poll_interval: Duration,
    max_children: usize,
    turns: &Arc<AtomicUsize>,
    handler: fn() -> H,
) -> (Arc<ForkingTcpServer<H>>, Serving) {
    let turns = Arc::clone(turns);
    let factory = Hooks::new(handler).service_actions(move || {
        turns.fetch_add(1, Ordering::SeqCst);
    });
    let server = ForkingTcpServer::builder()
        .connection_timeout(Some(IO_TIMEOUT))
        .poll_interval(poll_interval)
        .max_children(max_children)
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, serving)
}

fn stop<H: StreamHandler>(server: Arc<ForkingTcpServer<H>>, serving: Serving) {
    serving.stop().unwrap();
    Arc::into_inner(server)
        .expect("the serving thread let go")
        .server_close();
}

/// Reads the first line the child sends (its pid).
fn child_pid(stream: &TcpStream) -> i32 {
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .expect("pid line");
    line.trim().parse().expect("a pid")
}

fn pid_client(addr: SocketAddr) -> (TcpStream, i32) {
    let stream = connect(addr);
    let pid = child_pid(&stream);
    (stream, pid)
}

fn each_client_is_served_by_a_different_process() {
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(POLL, 40, &turns, || pid_then_hold);
    let addr = server.local_addr().unwrap();
    let clients: Vec<_> = (0..5).map(|_| pid_client(addr)).collect();
    let pids: HashSet<i32> = clients.iter().map(|&(_, pid)| pid).collect();
    assert_eq!(pids.len(), 5, "five processes: {pids:?}");
    assert!(!pids.contains(&(std::process::id() as i32)));
    let ours: HashSet<i32> = children().into_iter().map(|(pid, _)| pid).collect();
    assert!(pids.is_subset(&ours), "each is a child of the server");
    assert_eq!(server.active_children(), 5);
    clients.into_iter().for_each(|(stream, _)| release(stream));
    stop(server, serving);
}

fn two_slow_clients_are_served_at_once() {
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(POLL, 40, &turns, || {
        |req: &mut StreamRequest| {
            req.wfile.write_all(b"ready\n")?;
            let mut line = String::new();
            req.rfile.read_line(&mut line)?;
            req.wfile.write_all(line.as_bytes())
        }
    });
    let addr = server.local_addr().unwrap();
    let clients = [connect(addr), connect(addr)];
    let mut readers: Vec<_> = clients.iter().map(BufReader::new).collect();
    // Both are being served before either has sent anything, so before either finishes.
    for reader in &mut readers {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n");
    }
    for (i, (mut client, reader)) in clients.iter().zip(&mut readers).enumerate() {
        writeln!(client, "slow {i}").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, format!("slow {i}\n"));
    }
    drop(readers);
    stop(server, serving);
}

fn finished_children_are_reaped_without_waiting_for_the_poll_interval() {
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(NEVER, 40, &turns, || {
        |req: &mut StreamRequest| req.wfile.write_all(b"ok\n")
    });
    let addr = server.local_addr().unwrap();
    for _ in 0..20 {
        let mut reply = String::new();
        connect(addr).read_to_string(&mut reply).unwrap();
        assert_eq!(reply, "ok\n");
    }
    assert!(
        wait_until(IO_TIMEOUT, || server.active_children() == 0
            && zombies().is_empty()),
        "left: {} children, zombies {:?}",
        server.active_children(),
        zombies()
    );
    stop(server, serving);
}

fn killed_children_are_reaped_and_leave_no_zombies() {
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(POLL, 40, &turns, || pid_then_hold);
    let addr = server.local_addr().unwrap();
    let clients: Vec<_> = (0..3).map(|_| pid_client(addr)).collect();
    assert!(wait_until(IO_TIMEOUT, || server.active_children() == 3));
    for &(_, pid) in &clients {
        kill(pid, libc::SIGKILL);
    }
    assert!(
        wait_until(IO_TIMEOUT, || server.active_children() == 0
            && zombies().is_empty()),
        "left: {} children, zombies {:?}",
        server.active_children(),
        zombies()
    );
    for &(_, pid) in &clients {
        assert!(logged(&format!("child {pid} was killed by signal 9")));
    }
    // The server goes on serving.
    let (next, pid) = pid_client(addr);
    assert!(!clients.iter().any(|&(_, p)| p == pid));
    release(next);
    stop(server, serving);
}

fn max_children_is_honoured() {
    with_foreign_child(|_| {
        let turns = Arc::new(AtomicUsize::new(0));
        let (server, serving) = start(POLL, 2, &turns, || pid_then_hold);
        let addr = server.local_addr().unwrap();
        let (first, _) = pid_client(addr);
        let (second, _) = pid_client(addr);
        let third = connect(addr); // the backlog completes the handshake

        // Two full turns of the loop after the third client connected: a server below
        // its limit would have forked for it by now.
        let seen = turns.load(Ordering::SeqCst);
        assert!(wait_until(IO_TIMEOUT, || turns.load(Ordering::SeqCst) >= seen + 2));
        assert_eq!(server.active_children(), 2);
        third.set_nonblocking(true).unwrap();
        let waiting = (&third).read(&mut [0; 16]).map_err(|e| e.kind());
        assert_eq!(
            waiting,
            Err(ErrorKind::WouldBlock),
            "the third client waits"
        );
        third.set_nonblocking(false).unwrap();

        release(first);
        let pid = child_pid(&third);
        assert!(pid > 0);
        assert!(server.active_children() <= 2);
        release(second);
        release(third);
        stop(server, serving);
    });
}

fn at_the_limit_a_finished_child_frees_its_slot_at_once() {
    // With a poll interval of an hour, only the child's exit notice can wake the loop.
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(NEVER, 1, &turns, || pid_then_hold);
    let addr = server.local_addr().unwrap();
    let (first, _) = pid_client(addr);
    let second = connect(addr);
    release(first);
    assert!(child_pid(&second) > 0, "served once the first child exited");
    release(second);
    stop(server, serving);
}

fn block_on_close_waits_for_every_child() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("done");
    let child_marker = marker.clone();
    let server = ForkingTcpServer::builder()
        .connection_timeout(Some(IO_TIMEOUT))
        .bind("127.0.0.1:0", move || {
            let marker = child_marker.clone();
            move |req: &mut StreamRequest| {
                req.wfile.write_all(b"hi\n")?;
                req.rfile.read_line(&mut String::new())?;
                std::fs::write(&marker, "done")
            }
        })
        .unwrap();
    let client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    // The fork is done: threads are safe from here on.
    let closer = thread::spawn(move || {
        server.server_close();
        marker.exists()
    });
    let mut line = String::new();
    BufReader::new(&client).read_line(&mut line).unwrap();
    assert_eq!(line, "hi\n");
    release(client);
    assert!(
        closer.join().unwrap(),
        "server_close returned before the child finished"
    );
    assert!(zombies().is_empty());
}

fn without_block_on_close_children_are_left_running() {
    let server = ForkingTcpServer::builder()
        .connection_timeout(Some(IO_TIMEOUT))
        .block_on_close(false)
        .bind("127.0.0.1:0", || pid_then_hold)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let client = connect(addr);
    assert!(server.handle_request().unwrap());
    let pid = child_pid(&client);
    let (closed, done) = mpsc::channel();
    thread::spawn(move || {
        server.server_close();
        closed.send(()).unwrap();
    });
    done.recv_timeout(IO_TIMEOUT)
        .expect("server_close returned at once");
    assert!(
        children()
            .iter()
            .any(|&(p, state)| p == pid && state != 'Z'),
        "the child still runs"
    );
    // The child closed its copy of the listening socket: the closed server's port takes
    // no more clients while the child runs.
    let refused = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.kind());
    assert_eq!(refused.err(), Some(ErrorKind::ConnectionRefused));
    release(client);
    let mut status = 0;
    // SAFETY: `status` is a valid place for the exit status.
    assert_eq!(
        unsafe { libc::waitpid(pid, &mut status, 0) },
        pid,
        "not reaped by the server"
    );
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
}
