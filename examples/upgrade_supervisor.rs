//! A zero-downtime upgrade supervisor: it holds the listening socket and runs a server on
//! it by socket activation (systemd's `LISTEN_FDS` convention, which every server example
//! honours). On SIGHUP it starts the server command again (a new binary, if the file was
//! replaced), waits for the new instance's `listening on` line, and only then stops the
//! old one with SIGTERM: the old instance finishes its requests while the new one already
//! accepts from the same socket, so no connection is refused and no reply lost.
//!
//! Try:
//! `cargo build --release --examples`, then
//! `target/release/examples/upgrade_supervisor -p 2500 -- target/release/examples/echo_server`;
//! `nc 127.0.0.1 2500` in another terminal; `kill -HUP <supervisor's pid>` upgrades
//! (rebuild echo_server first to upgrade for real). SIGINT or SIGTERM stops the server and
//! then the supervisor. Under systemd it takes its socket from a socket unit
//! (`deploy/systemd/`) and `systemctl reload` upgrades.
//!
//! Why a supervisor: the socket belongs to the supervisor, not to any one server process,
//! so it never closes while servers come and go; a server that stops only closes its own
//! copy of the descriptor.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clap::Parser;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Holds a listening socket and upgrades the server on it without dropping a client.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    endpoint: common::Endpoint,
    /// Seconds a new instance has to print its `listening on` line
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    start_timeout: u64,
    /// The server to run, with its flags (it must honour LISTEN_FDS, as the examples do)
    #[arg(last = true, required = true, value_name = "SERVER")]
    server: Vec<String>,
}

fn main() {
    let args = Args::parse();
    common::init_logging();
    // Installed before the socket is announced: a signal from then on is never lost.
    let mut signals = Signals::new([SIGHUP, SIGINT, SIGTERM, SIGCHLD])
        .unwrap_or_else(|err| common::exit_with(2, format_args!("signals: {err}")));
    let listener = listener(&args).unwrap_or_else(|err| common::exit_with(2, err));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|err| common::exit_with(2, err));
    let start_timeout = Duration::from_secs(args.start_timeout);
    let mut current = start(&args.server, &listener, start_timeout)
        .unwrap_or_else(|err| common::exit_with(2, err));
    common::announce(addr);

    for signal in signals.forever() {
        match signal {
            SIGHUP => match start(&args.server, &listener, start_timeout) {
                Ok(new) => {
                    log::info!(
                        "upgrade: pid {} serves, stopping pid {}",
                        new.id(),
                        current.id()
                    );
                    let old = std::mem::replace(&mut current, new);
                    stop(old);
                }
                Err(err) => log::error!(
                    "upgrade failed, pid {} goes on serving: {err}",
                    current.id()
                ),
            },
            SIGCHLD => {
                // The server died on its own: start another on the same socket.
                if let Ok(Some(status)) = current.try_wait() {
                    log::error!("pid {} exited ({status}): restarting", current.id());
                    current = start(&args.server, &listener, start_timeout)
                        .unwrap_or_else(|err| common::exit_with(1, err));
                }
            }
            _ => {
                log::info!("stopping pid {}", current.id());
                stop(current);
                return;
            }
        }
    }
}

/// The socket to hold: the one a service manager passed (fd 3, `LISTEN_FDS`), or a new one
/// on `-i`/`-p`.
fn listener(args: &Args) -> Result<TcpListener, String> {
    let activated = std::env::var("LISTEN_PID").ok() == Some(std::process::id().to_string())
        && std::env::var("LISTEN_FDS").is_ok_and(|fds| fds.trim() == "1");
    if activated {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        // SAFETY: by the convention, descriptor 3 is a listening socket given to this
        // process, and nothing else in it owns the descriptor.
        let listener = unsafe { TcpListener::from_raw_fd(3) };
        listener
            .local_addr()
            .map_err(|err| format!("inherited descriptor 3: {err}"))?;
        return Ok(listener);
    }
    let addr: SocketAddr = args.endpoint.addr();
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .and_then(|socket| {
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(1024)?;
        Ok(socket)
    })
    .map_err(|err| format!("cannot listen on {addr}: {err}"))?;
    Ok(socket.into())
}

/// Starts `server` with `listener` as its descriptor 3, `LISTEN_FDS=1` and `LISTEN_PID` its
/// own pid (a shell sets it to `$$`, then `exec`s the server, which keeps the pid), and
/// waits for its `listening on` line.
fn start(server: &[String], listener: &TcpListener, timeout: Duration) -> Result<Child, String> {
    let (program, args) = server.split_first().ok_or("no server command")?;
    let fd = listener.as_raw_fd();
    let mut command = Command::new("/bin/sh");
    command
        .args(["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\""])
        .arg(PathBuf::from(program))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    // SAFETY: only async-signal-safe calls (dup2, fcntl) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // dup2 onto itself would keep close-on-exec: clear the flag instead.
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
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot start {program}: {err}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        // Anything else the server prints is dropped: the supervisor's stdout has one line.
        lines.map_while(Result::ok).for_each(drop);
    });
    match rx.recv_timeout(timeout) {
        Ok(Some(Ok(line))) if line.starts_with("listening on ") => {
            log::info!("pid {} {line}", child.id());
            Ok(child)
        }
        other => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{program} did not start: {other:?}"))
        }
    }
}

/// SIGTERM, then waits: the server finishes its requests and exits (the examples do
/// within 3 s); one still running after 10 s is killed.
fn stop(mut child: Child) {
    let pid = child.id();
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill has no memory effects; the pid is our child, not yet reaped.
    unsafe { libc::kill(raw, libc::SIGTERM) };
    for _ in 0..1000 {
        match child.try_wait() {
            Ok(Some(status)) => {
                log::info!("pid {pid} stopped ({status})");
                return;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => {
                log::error!("pid {pid}: {err}");
                return;
            }
        }
    }
    log::warn!("pid {pid} still running 10 s after SIGTERM: killing it");
    let _ = child.kill();
    let _ = child.wait();
}
