//! A minimal runner for test binaries that fork (`harness = false` in Cargo.toml).
//!
//! Forking a process with other threads is unsafe, and libtest runs tests on many
//! threads. Here tests run one after another on the main thread, each joining the threads
//! it started before the next one forks. The binary prints `test NAME ... ok|FAILED` per
//! test, then `N passed, N failed` alone on a line, and exits non-zero on a failure. A test
//! that hangs past a minute kills the binary with SIGALRM.
//!
//! Also here: what those tests observe about processes (the children of this process in
//! /proc, zombies among them, the pid a forked handler greets with), a foreign child like
//! CPython's `simple_subprocess`, and a logger that keeps every record so a test can check
//! what the server logged.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

/// Longest a single test may run.
const TIME_LIMIT_SECS: u32 = 60;

/// Runs the tests named on the command line (substring filters, as libtest), or all.
pub fn run(tests: &[(&str, fn())]) -> ! {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in tests {
            println!("{name}: test");
        }
        std::process::exit(0);
    }
    // `cargo test -- --ignored` asks for ignored tests: there are none here.
    let ignored_only = args.iter().any(|a| a == "--ignored");
    let selected: Vec<_> = tests
        .iter()
        .filter(|_| !ignored_only)
        .filter(|(name, _)| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        name == f
                    } else {
                        name.contains(f.as_str())
                    }
                })
        })
        .collect();

    println!("\nrunning {} tests", selected.len());
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in selected {
        print!("test {name} ... ");
        // Flushed before forking, so a child that exits through `exit` does not print it
        // a second time.
        let _ = std::io::stdout().flush();
        // A hung test kills the binary (SIGALRM) instead of hanging `cargo test`; an
        // alarm is not inherited by forked children.
        // SAFETY: alarm has no preconditions.
        unsafe { libc::alarm(TIME_LIMIT_SECS) };
        let outcome = panic::catch_unwind(AssertUnwindSafe(test));
        // SAFETY: as above; 0 cancels the alarm.
        unsafe { libc::alarm(0) };
        let clean = reap_leftovers(name);
        match outcome {
            Ok(()) if clean => {
                passed += 1;
                println!("ok");
            }
            _ => {
                failed += 1;
                println!("FAILED");
            }
        }
        let _ = std::io::stdout().flush();
    }
    println!("{passed} passed, {failed} failed");
    let _ = std::io::stdout().flush();
    std::process::exit(if failed == 0 { 0 } else { 1 });
}

/// Every test reaps what it forks. A child left behind (by a failed test, or a server
/// that did not reap) is killed and reaped here, so it cannot outlive the binary, and the
/// test fails.
fn reap_leftovers(test: &str) -> bool {
    let leftovers = children();
    for &(pid, _) in &leftovers {
        eprintln!("{test} left child process {pid}: killing it");
        // SAFETY: kill and waitpid on our own child; `status` is a valid place.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
        }
    }
    leftovers.is_empty()
}

/// The children of this process: `(pid, state)` from /proc (`Z` is a zombie).
pub fn children() -> Vec<(i32, char)> {
    children_of(std::process::id() as i32)
}

/// The children of process `parent`: `(pid, state)` from /proc.
pub fn children_of(parent: i32) -> Vec<(i32, char)> {
    let me = parent.to_string();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // A process can end between listing and reading: skip it.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (Some(state), Some(ppid)) = (fields.next(), fields.next()) else {
            continue;
        };
        if ppid == me {
            found.push((pid, state.chars().next().unwrap_or('?')));
        }
    }
    found
}

/// Children of this process that exited and were not reaped.
pub fn zombies() -> Vec<i32> {
    children()
        .into_iter()
        .filter(|&(_, state)| state == 'Z')
        .map(|(pid, _)| pid)
        .collect()
}

/// CPython's `simple_subprocess`: starts a child that exits with status 72 at once, runs
/// `test`, then checks the child can still be waited for with its status: the server
/// did not reap a child it did not start.
pub fn with_foreign_child(test: impl FnOnce(i32)) {
    // SAFETY: only this thread runs (the runner joins every test's threads), and the
    // child calls nothing but `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(72) };
    }
    test(pid);
    let mut status = 0;
    // SAFETY: `status` is a valid place for the exit status.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "the foreign child was reaped by someone else");
    assert!(libc::WIFEXITED(status));
    assert_eq!(libc::WEXITSTATUS(status), 72);
}

/// The pid in a child's greeting `"<word> PID ..."` (a forked handler says which
/// process serves the connection).
pub fn greeting_pid(greeting: &str, word: &str) -> i32 {
    greeting
        .strip_prefix(word)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("not a \"{word}PID\" greeting: {greeting:?}"))
}

/// Sends `signal` to `pid`.
pub fn kill(pid: i32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {pid}");
}

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct KeepAll;

impl log::Log for KeepAll {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.level(), record.args());
        RECORDS.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
    fn flush(&self) {}
}

/// Keeps every log record from now on (in this process; a child's records stay in it).
pub fn capture_logs() {
    let _ = log::set_logger(&KeepAll);
    log::set_max_level(log::LevelFilter::Debug);
}

/// Whether a kept log record contains `text`.
pub fn logged(text: &str) -> bool {
    RECORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|line| line.contains(text))
}
