//! The fault matrix's `Forking` column (see `tests/fault_matrix.rs` for the table and what
//! each cell asserts): the cells of `tests/support/faults.rs` on a `ForkingTcpServer`.
//!
//! The server runs in a process of its own, forked before any client socket exists: a
//! child of a server in this process would hold copies of every client socket open when
//! it was forked, so a client's reset (its close with `SO_LINGER` 0) would send nothing
//! while a copy lives. Its children report errors by appending a line to a file, since
//! their error hook runs in their own process. `harness = false` (see `support::fork`).

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use socketserver::{ForkingTcpServer, StreamRequest};
use support::faults;
use support::fork::{children_of, kill};
use support::{wait_until, Hooks, IO_TIMEOUT};

fn main() {
    faults::quiet_panics();
    support::fork::run(&[
        ("forking_reset_mid_request", forking_reset_mid_request),
        ("forking_reset_mid_reply", forking_reset_mid_reply),
        ("forking_half_close", forking_half_close),
        ("forking_slowloris", forking_slowloris),
        ("forking_16_mib_line", forking_16_mib_line),
        ("forking_not_utf8", forking_not_utf8),
        ("forking_panic_storm", forking_panic_storm),
    ]);
}

/// A forking server in a process of its own.
struct Forked {
    pid: i32,
    addr: SocketAddr,
    reports: PathBuf,
    _dir: tempfile::TempDir,
}

type Echo = fn(&mut StreamRequest) -> std::io::Result<()>;

fn start() -> Forked {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("errors");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // SAFETY: the runner has joined every other thread of this process; the child serves
    // and leaves through `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let served = std::panic::catch_unwind(|| serve(listener, &reports));
        // SAFETY: ends the server process without running the parent's exit handlers.
        unsafe { libc::_exit(if matches!(served, Ok(Ok(()))) { 0 } else { 1 }) };
    }
    drop(listener);
    Forked {
        pid,
        addr,
        reports,
        _dir: dir,
    }
}

/// The server process: a forking echo server until SIGTERM, reporting every error as a
/// line of `reports`.
fn serve(listener: TcpListener, reports: &Path) -> socketserver::Result<()> {
    let reports = reports.to_owned();
    let echo: fn() -> Echo = || faults::echo;
    let factory = Hooks::new(echo).on_error(move |_, err| {
        let line = format!("{err}\n");
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&reports)
        {
            // One write of one line with O_APPEND: children never interleave.
            let _ = file.write_all(line.as_bytes());
        }
    });
    ForkingTcpServer::builder()
        .connection_timeout(Some(IO_TIMEOUT))
        .stop_on_signals(true)
        .from_socket(listener, factory)?
        .run()
}

impl Forked {
    fn reported(&self) -> impl Fn() -> usize {
        let reports = self.reports.clone();
        move || std::fs::read_to_string(&reports).map_or(0, |text| text.lines().count())
    }

    /// The largest resident memory among the server's children, in KiB, once it has one.
    fn child_rss_kib(&self) -> u64 {
        assert!(wait_until(IO_TIMEOUT, || !children_of(self.pid).is_empty()));
        children_of(self.pid)
            .iter()
            .map(|&(pid, _)| faults::rss_kib(pid as u32))
            .max()
            .unwrap_or(0)
    }

    /// SIGTERM: the server stops gracefully and exits 0, within the examples' 3 s.
    fn stop(mut self) {
        kill(self.pid, libc::SIGTERM);
        let mut status = 0;
        let exited = wait_until(Duration::from_secs(3), || {
            // SAFETY: waitpid on our own child; `status` is a valid place.
            unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) == self.pid }
        });
        assert!(exited, "the server did not exit within 3 s of SIGTERM");
        self.pid = 0;
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the server's exit status: {status:#x}"
        );
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        if self.pid > 0 {
            // A failed test: end the server and its children, and reap the server.
            for (child, _) in children_of(self.pid) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(child, libc::SIGKILL) };
            }
            // SAFETY: as above, and waitpid on our own child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, &mut 0, 0);
            }
        }
    }
}

fn forking_reset_mid_request() {
    let server = start();
    faults::reset_mid_request(server.addr);
    server.stop();
}

fn forking_reset_mid_reply() {
    let server = start();
    faults::reset_mid_reply(server.addr);
    server.stop();
}

fn forking_half_close() {
    let server = start();
    faults::half_close(server.addr);
    server.stop();
}

fn forking_slowloris() {
    let server = start();
    faults::slowloris(server.addr);
    server.stop();
}

/// The line goes through a child: its resident memory grows by less than 8 MiB.
fn forking_16_mib_line() {
    let server = start();
    let grew = faults::long_line_echoed(server.addr, || server.child_rss_kib());
    assert!(grew < 8 * 1024, "the child's RSS grew by {grew} KiB");
    server.stop();
}

fn forking_not_utf8() {
    let server = start();
    faults::not_utf8(server.addr);
    server.stop();
}

/// Fewer than the other modes' 300: each panic costs a process.
fn forking_panic_storm() {
    let server = start();
    faults::panic_storm(server.addr, 100, server.reported());
    server.stop();
}
