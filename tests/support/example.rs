//! Running the crate's examples as a user would: build each one fresh, start a server on
//! port 0, read its `listening on` line, talk to it, stop it with a signal; run a client
//! example with its stdin piped.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::Duration;

use super::wait_until;

/// How long a server may take to print its `listening on` line: on a busy machine a
/// fresh example binary can take a while to start.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// The path of example `name`, built first with the profile and features of this test
/// binary, once per test binary: `cargo test --test X` never runs a stale example.
pub fn example_path(name: &str) -> PathBuf {
    // Held during the build: one cargo at a time, and a second test asking for the same
    // example waits for the first build instead of starting its own.
    static BUILT: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test binary> -> target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    if built.contains(name) {
        return path;
    }
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", name, "--profile", profile])
        .args(feature_args())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|err| panic!("run cargo build --example {name}: {err}"));
    assert!(status.success(), "cargo build --example {name} failed");
    assert!(path.exists(), "{} missing after the build", path.display());
    built.insert(name.to_owned());
    path
}

/// The features this test binary was built with (`http`, `tls`), so that the example
/// links the same build of the library instead of a second one.
fn feature_args() -> &'static [&'static str] {
    match (cfg!(feature = "http"), cfg!(feature = "tls")) {
        (true, true) => &["--no-default-features", "--features", "http,tls"],
        (true, false) => &["--no-default-features", "--features", "http"],
        (false, true) => &["--no-default-features", "--features", "tls"],
        (false, false) => &["--no-default-features"],
    }
}

/// A running example server; killed on drop if still running.
#[derive(Debug)]
pub struct ExampleServer {
    name: String,
    child: Child,
    pub addr: SocketAddr,
}

impl ExampleServer {
    /// Starts `name` with `-p 0` plus `args`, and waits (at most [`STARTUP_LIMIT`]) for
    /// its `listening on` line, its first line on stdout. `RUST_LOG` is passed on,
    /// `warn` when unset: the server's stderr is the test's.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let mut command = Command::new(example_path(name));
        command.args(["-p", "0"]).args(args);
        Self::spawn(name, command)
    }

    /// Starts `name` with `args` by socket activation, as systemd does: `listener` is
    /// the process's descriptor 3, `LISTEN_FDS=1`, and `LISTEN_PID` is its own pid (set
    /// by a shell that then `exec`s the example, keeping its pid).
    pub fn start_activated(name: &str, listener: &std::net::TcpListener, args: &[&str]) -> Self {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let fd = listener.as_raw_fd();
        let mut command = Command::new("sh");
        command
            .args(["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\""])
            .arg(example_path(name))
            .args(args);
        // SAFETY: dup2 is async-signal-safe, and the closure touches nothing else.
        unsafe {
            command.pre_exec(move || {
                // dup2 onto itself would keep close-on-exec: clear it instead.
                let done = if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, 3)
                };
                if done == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Self::spawn(name, command)
    }

    fn spawn(name: &str, mut command: Command) -> Self {
        let mut child = command
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("start {name}: {err}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        // The pipe read blocks; a thread and a channel give it a deadline. The thread
        // then drains stdout so the server never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).map(|_| line);
            let _ = tx.send(read);
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(STARTUP_LIMIT) {
            Ok(Ok(line)) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no listening line from {name}: {other:?}");
            }
        };
        let addr = line
            .strip_prefix("listening on ")
            .and_then(|rest| rest.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("{name} printed {line:?} first"));
        ExampleServer {
            name: name.to_owned(),
            child,
            addr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` and waits (at most `limit`) for the process to exit; fails the test
    /// past `limit`.
    pub fn stop_with(&mut self, signal: i32, limit: Duration) -> ExitStatus {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill has no memory effects; the pid is our own child, not yet reaped.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill");
        exit_within(&mut self.child, limit).unwrap_or_else(|| {
            panic!(
                "{} still running {limit:?} after signal {signal}",
                self.name
            )
        })
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

/// The command that runs client example `name` against `server`. It logs warnings only,
/// whatever `RUST_LOG` says: tests read its stderr.
pub fn client_command(name: &str, server: SocketAddr, args: &[&str]) -> Command {
    let mut command = Command::new(example_path(name));
    command
        .args([
            "-i",
            &server.ip().to_string(),
            "-p",
            &server.port().to_string(),
        ])
        .args(args)
        .env("RUST_LOG", "warn");
    command
}

/// Waits for `child` to exit, at most `limit`; past it, kills it and returns `None`.
pub fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let mut status = None;
    wait_until(limit, || {
        status = child.try_wait().expect("try_wait");
        status.is_some()
    });
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    status
}

/// Waits for `child` to exit; fails the test (after killing it) past `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    exit_within(child, limit).unwrap_or_else(|| panic!("process did not exit within {limit:?}"))
}

/// Runs a command with `input` on stdin and returns its stdout, bounded in time.
pub fn run_with_input(
    mut command: Command,
    input: &[u8],
    limit: Duration,
) -> (ExitStatus, Vec<u8>) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let status = wait_exit(&mut child, limit);
    writer.join().unwrap();
    (status, reader.join().unwrap())
}
