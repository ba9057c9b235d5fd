//! Starting a contender as a child process pinned to the server CPU, reading the address
//! it announces, and stopping it.

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::config::Config;
use crate::contenders::{Contender, Launch};
use crate::procstat;

/// The CPU servers run on; the load generator runs on the other one.
pub const SERVER_CPU: usize = 0;
pub const LOADGEN_CPU: usize = 1;

/// A running contender, stopped when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    wrapped: bool,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn start(contender: &Contender, config: &Config) -> io::Result<Server> {
        let mut argv: Vec<String> = config.wrap.clone();
        match contender.launch {
            Launch::InBinary(_) => {
                argv.push(std::env::current_exe()?.to_string_lossy().into_owned());
                argv.push("--serve".into());
                argv.push(contender.id.into());
            }
            Launch::Baseline(id) => {
                let Some(exe) = std::env::var_os("BENCH_BASELINE") else {
                    return Err(io::Error::other("BENCH_BASELINE is not set"));
                };
                argv.push(exe.to_string_lossy().into_owned());
                argv.push("--serve".into());
                argv.push(id.into());
            }
            Launch::Script(script) => {
                argv.push("python3".into());
                argv.push(format!(
                    "{}/benches/python/{script}",
                    env!("CARGO_MANIFEST_DIR")
                ));
            }
        }
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // The rows that use both cores are not pinned (they share CPU 1 with the load
        // generator, as their label says).
        if contender.pinned() {
            // SAFETY: the hook only calls sched_setaffinity, which is async-signal-safe.
            unsafe {
                cmd.pre_exec(|| procstat::pin_current_to(SERVER_CPU));
            }
        }
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            // Keep draining so a chatty server never blocks on a full pipe.
            let mut sink = String::new();
            while matches!(reader.read_line(&mut sink), Ok(n) if n > 0) {
                sink.clear();
            }
        });
        let wait = if config.wrap.is_empty() { 15 } else { 120 };
        let line = match rx.recv_timeout(Duration::from_secs(wait)) {
            Ok(Ok(line)) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(format!(
                    "{} did not announce its address: {other:?}",
                    contender.id
                )));
            }
        };
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| {
                io::Error::other(format!("{}: unexpected first line {line:?}", contender.id))
            });
        let addr = match addr {
            Ok(addr) => addr,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err);
            }
        };
        Ok(Server {
            child,
            addr,
            wrapped: !config.wrap.is_empty(),
        })
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.wrapped {
            // A profiler writes its report when the program ends by SIGTERM: end the
            // server (strace's child, or valgrind itself) and give it time to finish.
            let pid = self.child.id();
            let kids = procstat::descendants(pid);
            if kids.is_empty() {
                signal(pid, libc::SIGTERM);
            } else {
                kids.iter().for_each(|&k| signal(k, libc::SIGTERM));
            }
            for _ in 0..600 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
