//! Running `examples/mjpeg_server.rs` from a test: building it, starting it on port 0,
//! reading its `listening on` line, and stopping it; plus a reader for the
//! `multipart/x-mixed-replace` stream it serves.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Builds the example with the profile and target directory of this test binary (so
/// `cargo test --test X` never runs a stale example) and returns its path.
pub fn example_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        // target/<profile>/deps/<test> -> target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(other) => other.to_owned(),
        };
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--example",
                "mjpeg_server",
                "--profile",
                &profile,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build --example mjpeg_server");
        assert!(
            status.success(),
            "cargo build --example mjpeg_server failed"
        );
        let binary = profile_dir.join("examples").join("mjpeg_server");
        assert!(
            binary.exists(),
            "{} missing after the build",
            binary.display()
        );
        binary
    })
}

/// A running `mjpeg_server`; killed on drop if a test did not stop it.
pub struct ExampleServer {
    child: Child,
    pub addr: SocketAddr,
}

impl ExampleServer {
    /// Starts the example on 127.0.0.1:0 with `args` and waits for its `listening on`
    /// line (its first line on stdout).
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(example_binary())
            .args(["-i", "127.0.0.1", "-p", "0"])
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mjpeg_server");
        let stdout = child.stdout.take().expect("stdout");
        // The pipe read blocks; a thread and a channel give it a deadline.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = tx.send(read);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no listening line from mjpeg_server: {other:?}");
            }
        };
        let addr = line
            .strip_prefix("listening on ")
            .and_then(|rest| rest.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("not a listening line: {line:?}"));
        ExampleServer { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits up to `limit` for the exit; the status and how long it
    /// took, or `None` if it did not exit in time.
    pub fn terminate(&mut self, limit: Duration) -> Option<(ExitStatus, Duration)> {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill has no memory effects; the pid is our own child, not yet reaped.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill");
        let sent = Instant::now();
        let mut status = None;
        crate::support::wait_until(limit, || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        status.map(|status| (status, sent.elapsed()))
    }
}

impl Drop for ExampleServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A program on `PATH`, or `None`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether `bytes` is a complete JPEG: SOI marker first, EOI marker last.
pub fn is_complete_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8]) && bytes.ends_with(&[0xff, 0xd9])
}

/// Reads all of `reader` (helper for child pipes).
pub fn read_all(mut reader: impl Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Says loudly that a test did not run: on stderr past the test harness's capture, so
/// that a passing run still shows it.
pub fn skip(message: &str) {
    use std::io::Write;
    let _ = writeln!(io::stderr(), "SKIPPED: {message}");
}
