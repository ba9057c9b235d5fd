//! CPython's forking tests, ported: `test_ForkingTCPServer`, `test_ForkingUDPServer`,
//! `test_ForkingUnixStreamServer`, `test_ForkingUnixDatagramServer` (echo ×3, children
//! reaped by `server_close`, a foreign child left alone), `test_forking_handled` and
//! `test_forking_not_handled` (a handler that exits or is killed).
//!
//! This binary forks: it runs with `harness = false` (see `support::fork`).

mod support;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::time::Duration;

use socketserver::{
    Error, ForkingTcpServer, ForkingUdpServer, ForkingUnixDatagramServer, ForkingUnixStreamServer,
    StreamRequest,
};
use support::fork::{capture_logs, children, kill, logged, with_foreign_child};
use support::{
    connect, dgram_examine, echo_datagram, echo_line, run_server, stream_examine,
    unix_dgram_examine, unix_stream_examine, Hooks, IO_TIMEOUT,
};

const POLL: Duration = Duration::from_millis(10);

fn main() {
    capture_logs();
    support::fork::run(&[
        ("test_forking_tcp_server", test_forking_tcp_server),
        ("test_forking_udp_server", test_forking_udp_server),
        (
            "test_forking_unix_stream_server",
            test_forking_unix_stream_server,
        ),
        (
            "test_forking_unix_datagram_server",
            test_forking_unix_datagram_server,
        ),
        ("test_forking_handled", test_forking_handled),
        (
            "test_forking_not_handled_exit",
            test_forking_not_handled_exit,
        ),
        (
            "test_forking_not_handled_killed",
            test_forking_not_handled_killed,
        ),
    ]);
}

/// After `server_close`: no child of ours is left but the foreign one (bpo-31151).
fn assert_only_child_is(foreign: i32) {
    let left: Vec<_> = children()
        .into_iter()
        .filter(|&(pid, _)| pid != foreign)
        .collect();
    assert!(
        left.is_empty(),
        "children left after server_close: {left:?}"
    );
}

fn test_forking_tcp_server() {
    with_foreign_child(|foreign| {
        let server = ForkingTcpServer::builder()
            .connection_timeout(Some(IO_TIMEOUT))
            .poll_interval(POLL)
            .bind("127.0.0.1:0", || echo_line)
            .unwrap();
        let addr = server.local_addr().unwrap();
        run_server(server, |_| stream_examine(addr));
        assert_only_child_is(foreign);
    });
}

fn test_forking_udp_server() {
    with_foreign_child(|foreign| {
        let server = ForkingUdpServer::builder()
            .poll_interval(POLL)
            .bind("127.0.0.1:0", || echo_datagram)
            .unwrap();
        let addr = server.local_addr().unwrap();
        run_server(server, |_| dgram_examine(addr));
        assert_only_child_is(foreign);
    });
}

fn test_forking_unix_stream_server() {
    with_foreign_child(|foreign| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sock");
        let server = ForkingUnixStreamServer::builder()
            .connection_timeout(Some(IO_TIMEOUT))
            .poll_interval(POLL)
            .bind(&path, || echo_line)
            .unwrap();
        run_server(server, |_| unix_stream_examine(&path));
        assert_only_child_is(foreign);
    });
}

fn test_forking_unix_datagram_server() {
    with_foreign_child(|foreign| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sock");
        let server = ForkingUnixDatagramServer::builder()
            .poll_interval(POLL)
            .bind(&path, || echo_datagram)
            .unwrap();
        run_server(server, |n| unix_dgram_examine(&path, dir.path(), n));
        assert_only_child_is(foreign);
    });
}

/// A server whose `handle_error` (it runs in the child) appends a line to `log`.
fn server_logging_errors_to<F, H>(log: &Path, factory: F) -> socketserver::ForkingTcpServer<H>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: socketserver::StreamHandler,
{
    let log = log.to_owned();
    let factory = Hooks::new(factory).on_error(move |_, err| {
        let what = match err {
            Error::HandlerPanicked(_) => "panic",
            _ => "error",
        };
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        writeln!(file, "Error handled: {what}").unwrap();
    });
    ForkingTcpServer::builder()
        .connection_timeout(Some(IO_TIMEOUT))
        .bind("127.0.0.1:0", factory)
        .unwrap()
}

fn read_log(log: &Path) -> String {
    fs::read_to_string(log).unwrap_or_default()
}

/// CPython: a `ValueError` in the child reaches `handle_error` (in the child); after
/// `server_close` has waited for the child, the log shows it. Here the handler panics.
fn test_forking_handled() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let server = server_logging_errors_to(&log, || {
        |_: &mut StreamRequest| -> std::io::Result<()> {
            // In the child only: keep the expected panic's message off the test output.
            std::panic::set_hook(Box::new(|_| {}));
            panic!("ValueError")
        }
    });
    let _client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    server.server_close();
    assert_eq!(read_log(&log), "Error handled: panic\n");
}

/// Serves one client whose handler sends its pid, then `end`s its process; returns the
/// child's pid once the client has seen the connection close (the parent dropped its
/// copy at once: only the child's end closes it).
fn serve_one_that_ends(
    log: &Path,
    end: fn(),
) -> (
    i32,
    socketserver::ForkingTcpServer<impl socketserver::StreamHandler>,
) {
    let server = server_logging_errors_to(log, move || {
        move |req: &mut StreamRequest| {
            writeln!(req.wfile, "{}", std::process::id())?;
            // `wfile` collects writes until the handler reads, flushes or returns, and
            // this one never returns: send the pid before the process ends.
            req.wfile.flush()?;
            end();
            Ok(())
        }
    });
    let client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    let mut reader = BufReader::new(client);
    let mut pid = String::new();
    reader.read_line(&mut pid).unwrap();
    let pid: i32 = pid.trim().parse().unwrap();
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("end-of-file once the child is gone");
    (pid, server)
}

/// CPython: `SystemExit` in the child bypasses `handle_error`. Here the handler calls
/// `std::process::exit`; the parent logs the status when it reaps the child.
fn test_forking_not_handled_exit() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let (pid, server) = serve_one_that_ends(&log, || std::process::exit(3));
    server.server_close();
    assert_eq!(read_log(&log), "");
    assert!(logged(&format!("child {pid} exited with status 3")));
}

/// A child killed in its handler: no `handle_error`, the parent goes on and logs it.
fn test_forking_not_handled_killed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let (pid, server) =
        serve_one_that_ends(&log, || kill(std::process::id() as i32, libc::SIGKILL));
    // The parent is unharmed and serves the next client.
    let mut next = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    let mut line = String::new();
    BufReader::new(&mut next).read_line(&mut line).unwrap();
    assert!(line.trim().parse::<i32>().is_ok());
    server.server_close();
    assert!(logged(&format!(
        "child {pid} was killed by signal {}",
        libc::SIGKILL
    )));
}
