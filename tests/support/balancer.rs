//! Real load balancers in front of example servers: HAProxy and nginx started by the test
//! with a configuration of its own (written to a temporary directory, stopped by pid),
//! example instances whose log lines the test reads, and a load of short echo
//! conversations from chosen source addresses that records every outcome.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::example::{example_path, exit_within};
use super::{wait_until, IO_TIMEOUT};

/// How long an instance or a balancer may take to start on a busy machine.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// Lines a process wrote to a pipe, kept as they come (a thread drains the pipe).
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    /// Reads `pipe` to its end on a thread; the first line also goes to `first`.
    fn collect(pipe: impl Read + Send + 'static, first: Option<mpsc::Sender<String>>) -> Self {
        let lines = Lines::default();
        let kept = lines.clone();
        std::thread::spawn(move || {
            let mut first = first;
            for line in BufReader::new(pipe).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).into_owned();
                if let Some(first) = first.take() {
                    let _ = first.send(line.clone());
                }
                kept.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        });
        lines
    }

    /// Every line so far.
    pub fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether some line contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.all().iter().any(|line| line.contains(text))
    }
}

/// Sends `signal` to our own child `child`.
pub fn signal(child: &Child, signal: i32) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: kill has no memory effects; the pid is our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {pid}");
}

/// Sends `signal` to process `pid`, a child of the test's that is still running.
pub fn signal_pid(pid: u32, signal: i32) {
    let pid = libc::pid_t::try_from(pid).expect("pid");
    // SAFETY: kill has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {pid}");
}

/// A running example server whose stderr (its log, at `RUST_LOG=info`) the test reads.
pub struct Instance {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    pub log: Lines,
}

impl Instance {
    /// Starts example `example` with `args` (which say where it listens), run through
    /// `wrapper` when not empty (`ip netns exec NS`, which execs it: the pid stays the
    /// example's), and waits for its `listening on` line.
    pub fn start(wrapper: &[&str], example: &str, args: &[&str]) -> Self {
        let path = example_path(example);
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        command.args(args);
        Self::spawn(example, command)
    }

    /// Starts `command` (an example server) and waits for its `listening on` line. It
    /// logs at `RUST_LOG=info` unless `command` sets `RUST_LOG` itself.
    pub fn spawn(name: &str, mut command: Command) -> Self {
        if !command.get_envs().any(|(key, _)| key == "RUST_LOG") {
            command.env("RUST_LOG", "info");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("start {name}: {err}"));
        let (first, listening) = mpsc::channel();
        let _stdout = Lines::collect(child.stdout.take().expect("stdout"), Some(first));
        let log = Lines::collect(child.stderr.take().expect("stderr"), None);
        let line = match listening.recv_timeout(STARTUP_LIMIT) {
            Ok(line) => line,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "no listening line from {name} ({err}); its log: {:?}",
                    log.all()
                );
            }
        };
        let addr = line
            .strip_prefix("listening on ")
            .and_then(|rest| rest.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("{name} printed {line:?} first"));
        Instance {
            name: name.to_owned(),
            addr,
            child,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal`, waits (at most `limit`) for the exit: the process and every socket
    /// it had are gone when this returns.
    pub fn stop_with(&mut self, sig: i32, limit: Duration) -> ExitStatus {
        signal(&self.child, sig);
        exit_within(&mut self.child, limit)
            .unwrap_or_else(|| panic!("{} still running {limit:?} after signal {sig}", self.name))
    }

    /// The client addresses its log says it served (`connection from IP:PORT`).
    pub fn clients(&self) -> Vec<SocketAddr> {
        self.log
            .all()
            .iter()
            .filter_map(|line| {
                let (_, rest) = line.split_once("connection from ")?;
                rest.split_whitespace().next()?.parse().ok()
            })
            .collect()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port free on `ip` a moment ago (bound to port 0, then released): for programs that
/// cannot bind port 0 and say which port they got. Someone else may take it before the
/// program binds it, so callers retry with another.
pub fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind port 0")
        .port()
}

/// A balancer process (HAProxy or nginx) with its configuration directory; stopped by
/// pid (SIGTERM, then SIGKILL past 5 s) on drop.
pub struct Balancer {
    child: Child,
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Its configuration and sockets.
    pub dir: tempfile::TempDir,
    pub output: Lines,
}

impl Balancer {
    /// Starts `program` on a free port of `ip`, with the configuration `config(dir, port)`
    /// returns written to `dir/balancer.conf`, and `args(path of that file)`, run through
    /// `wrapper` when not empty; started when `ready(address)` (a connection to it works). A port someone took meanwhile (the program exits)
    /// is retried with another, up to 5 times.
    pub fn start(
        wrapper: &[&str],
        program: &str,
        ip: IpAddr,
        config: impl Fn(&Path, u16) -> String,
        args: impl Fn(&Path) -> Vec<String>,
        ready: impl Fn(SocketAddr) -> bool,
    ) -> Self {
        for _attempt in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port_near(ip);
            let path = dir.path().join("balancer.conf");
            std::fs::write(&path, config(dir.path(), port)).expect("write the configuration");
            let mut command = match wrapper.split_first() {
                Some((first, rest)) => {
                    let mut command = Command::new(first);
                    command.args(rest).arg(program);
                    command
                }
                None => Command::new(program),
            };
            let mut child = command
                .args(args(&path))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|err| panic!("start {program}: {err}"));
            let stdout = child.stdout.take().expect("stdout");
            let stderr = child.stderr.take().expect("stderr");
            let output = Lines::collect(stdout.chain(stderr), None);
            let addr = SocketAddr::new(ip, port);
            let mut exited = None;
            let ready = wait_until(STARTUP_LIMIT, || {
                exited = child.try_wait().expect("try_wait");
                exited.is_some() || ready(addr)
            });
            match exited {
                None if ready => {
                    return Balancer {
                        child,
                        addr,
                        dir,
                        output,
                    }
                }
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{program} never accepted on {addr}: {:?}", output.all());
                }
                Some(status) => {
                    // Give the pipe thread a moment to read what it printed.
                    wait_until(Duration::from_secs(1), || !output.all().is_empty());
                    eprintln!(
                        "{program} on port {port} exited ({status}): {:?}; retrying",
                        output.all()
                    );
                }
            }
        }
        panic!("{program} did not start on any of 5 ports");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal(&self.child, libc::SIGTERM);
            if exit_within(&mut self.child, Duration::from_secs(5)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

/// A free port on `ip`; for addresses not yet bound by anyone in this namespace (another
/// namespace's), any port in the ephemeral range's upper part will do.
fn free_port_near(ip: IpAddr) -> u16 {
    match TcpListener::bind((ip, 0)) {
        Ok(listener) => listener.local_addr().expect("local_addr").port(),
        // The address lives in another namespace: nobody else there binds anything.
        Err(_) => 40000 + (std::process::id() % 20000) as u16,
    }
}

/// Whether a TCP connection to `addr` is accepted now.
pub fn accepts(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// HAProxy's configuration for the tests: TCP mode, `send-proxy-v2` to each of
/// `instances`, a health check every 200 ms with a v2 `LOCAL` header (one failure marks an
/// instance down), refused connections retried on another instance, and an admin stats
/// socket at `dir/stats.sock`.
pub fn haproxy_config(dir: &Path, bind: SocketAddr, instances: &[SocketAddr]) -> String {
    let mut config = format!(
        "global
    maxconn 2000
    stats socket {stats} mode 600 level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    retries 3
    option redispatch 1
frontend clients
    bind {bind}
    default_backend instances
backend instances
    balance roundrobin
    default-server send-proxy-v2 check check-send-proxy inter 200ms fall 1 rise 1
",
        stats = dir.join("stats.sock").display(),
    );
    for (n, addr) in instances.iter().enumerate() {
        config.push_str(&format!("    server s{} {addr}\n", n + 1));
    }
    config
}

/// HAProxy's arguments: foreground, this configuration.
pub fn haproxy_args(config: &Path) -> Vec<String> {
    vec!["-db".into(), "-f".into(), config.display().to_string()]
}

/// nginx's configuration for the tests: one process (stopped by its pid with nothing left
/// behind), the stream proxy with `proxy_protocol on` (v1) to `instances`, refused
/// connections passed to the next instance.
pub fn nginx_config(dir: &Path, bind: SocketAddr, instances: &[SocketAddr]) -> String {
    let servers: String = instances
        .iter()
        .map(|addr| format!("        server {addr} max_fails=1 fail_timeout=5s;\n"))
        .collect();
    format!(
        "load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process off;
pid {pid};
error_log stderr notice;
events {{ worker_connections 2000; }}
stream {{
    upstream instances {{
{servers}    }}
    server {{
        listen {bind};
        proxy_pass instances;
        proxy_protocol on;
        proxy_connect_timeout 2s;
        proxy_next_upstream on;
        proxy_next_upstream_tries 3;
        proxy_timeout 30s;
    }}
}}
",
        pid = dir.join("nginx.pid").display(),
    )
}

/// nginx's arguments: this configuration, its temporary directory as prefix, errors to
/// stderr from the start.
pub fn nginx_args(config: &Path) -> Vec<String> {
    let prefix = config.parent().expect("config dir").display().to_string();
    vec![
        "-e".into(),
        "stderr".into(),
        "-p".into(),
        prefix,
        "-c".into(),
        config.display().to_string(),
    ]
}

/// The `status` column HAProxy's `show stat` gives server `server` of backend `backend`
/// (`UP`, `DOWN`, `MAINT`, ...), asked on the admin socket `stats`.
pub fn haproxy_status(stats: &Path, backend: &str, server: &str) -> Option<String> {
    let reply = haproxy_command(stats, "show stat")?;
    let mut lines = reply.lines();
    let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
    let column = header.iter().position(|name| *name == "status")?;
    lines
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&backend) && fields.get(1) == Some(&server))
        .and_then(|fields| fields.get(column).map(|status| status.to_string()))
}

/// One command on HAProxy's admin socket; its whole answer.
pub fn haproxy_command(stats: &Path, command: &str) -> Option<String> {
    let mut socket = UnixStream::connect(stats).ok()?;
    socket.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    socket.write_all(format!("{command}\n").as_bytes()).ok()?;
    let mut reply = String::new();
    socket.read_to_string(&mut reply).ok()?;
    Some(reply)
}

/// How one conversation went: when it started, and what failed, if anything.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub started: Instant,
    pub source: IpAddr,
    pub failure: Option<String>,
}

/// Short echo conversations in a loop, from client threads bound to given source
/// addresses: connect to the balancer, send one line, read it back, close. Every outcome is
/// recorded.
pub struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<Vec<Outcome>>>,
}

impl Load {
    /// `per_source` threads for each of `sources`, talking to `target`; each thread first
    /// runs `setup` (entering a network namespace, say).
    pub fn start(
        target: SocketAddr,
        sources: &[IpAddr],
        per_source: usize,
        setup: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let setup = Arc::new(setup);
        let mut threads = Vec::new();
        for (s, &source) in sources.iter().enumerate() {
            for t in 0..per_source {
                let (stop, done, setup) =
                    (Arc::clone(&stop), Arc::clone(&done), Arc::clone(&setup));
                threads.push(std::thread::spawn(move || {
                    setup();
                    let mut outcomes = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let line = request_line(s, t, n);
                        let failure = converse(source, target, &line).err();
                        outcomes.push(Outcome {
                            started,
                            source,
                            failure,
                        });
                        done.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                    outcomes
                }));
            }
        }
        Load {
            stop,
            done,
            threads,
        }
    }

    /// Conversations finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Waits until `more` conversations past the current count have finished; fails the
    /// test past `limit`.
    pub fn wait_for(&self, more: usize, limit: Duration) {
        let target = self.done() + more;
        assert!(
            wait_until(limit, || self.done() >= target),
            "only {} of {target} conversations within {limit:?}",
            self.done()
        );
    }

    /// Stops the clients; every outcome, in no particular order.
    pub fn stop(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads
            .into_iter()
            .flat_map(|thread| thread.join().expect("client thread"))
            .collect()
    }
}

/// A request that differs between conversations and is binary: a tab, a carriage return,
/// bytes that are not UTF-8, the line end.
fn request_line(source: usize, thread: usize, n: usize) -> Vec<u8> {
    let mut line = format!("source {source} thread {thread} request {n}\t").into_bytes();
    line.extend_from_slice(b"\xff\xfe\x00\x01 end\r\n");
    line
}

/// Connects from `source` to `target`, sends `line`, expects exactly `line` back.
pub fn converse(source: IpAddr, target: SocketAddr, line: &[u8]) -> Result<(), String> {
    let mut stream = connect_from(source, target).map_err(|err| format!("connect: {err}"))?;
    stream
        .write_all(line)
        .map_err(|err| format!("send: {err}"))?;
    let mut reply = vec![0; line.len()];
    stream
        .read_exact(&mut reply)
        .map_err(|err| format!("reply: {err}"))?;
    if reply == line {
        Ok(())
    } else {
        Err(format!(
            "reply {:?} to {:?}",
            reply.escape_ascii().to_string(),
            line.escape_ascii().to_string()
        ))
    }
}

/// A connection to `target` from address `source` (bound first, any port), with the
/// tests' timeouts.
pub fn connect_from(source: IpAddr, target: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(target),
        socket2::Type::STREAM,
        None,
    )?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    socket.connect_timeout(&target.into(), IO_TIMEOUT)?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// The directory of the crate (for the shipped `deploy/` files).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The clients' loopback source addresses: the balancer's backends must see these, not
/// the balancer's own.
pub fn sources() -> [IpAddr; 2] {
    ["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()]
}

/// The conversations that failed.
pub fn failures(outcomes: &[Outcome]) -> Vec<&Outcome> {
    outcomes.iter().filter(|o| o.failure.is_some()).collect()
}

/// Under load through the balancer at `addr`, the first instance is stopped with SIGTERM
/// (exit 0 within 3 s): no conversation may fail.
pub fn sigterm_costs_no_conversation(instances: &mut [Instance], addr: SocketAddr) {
    let load = Load::start(addr, &sources(), 2, || {});
    load.wait_for(200, Duration::from_secs(60));
    let status = instances[0].stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0), "{:?}", instances[0].log.all());
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    assert_eq!(failures(&outcomes).len(), 0, "{:?}", failures(&outcomes));
}
