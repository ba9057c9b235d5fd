//! The soak: `SOAK_SECONDS` (default 600) of mixed load on every mode, each server a child
//! process of this binary (`soak --serve MODE`), so that its memory and descriptors are
//! its own. Every second the resident memory (`VmRSS`) and the open descriptors of each
//! server are sampled from /proc.
//!
//! The load, paced so that the soak does not take the machine: line echo on the iterative
//! server (a connection per line), `Threading`, `Pool`, `Forking` (a connection per few
//! lines) and the event loop; a chat relay on the event loop (three members, each line
//! must reach the other two); UDP echo; HTTP keep-alive requests and MJPEG-style viewers
//! that watch a few frames and leave, on a threading HTTP server; and, on every stream
//! server, clients that reset their connection (RST) in the middle of a request.
//!
//! Pass or fail: no request may fail (a reset connection is the fault, not a failure), and
//! after the warm-up (the first fifth of the run, at least 5 s) both series stay flat.
//! Flat means: the median of the last tenth of the samples after the warm-up is within
//! 10% + 1 MiB of the median of the first tenth (RSS), and the largest descriptor count
//! of the last tenth is at most that of the first tenth plus 8 (connections in flight come
//! and go). Prints a table and exits 1 on any failure.
//!
//! `SOAK_SECONDS=60 cargo bench --bench soak` is the CI run; `SOAK_MODES=echo,udp` picks
//! modes by name.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use socketserver::event::Context;
use socketserver::http::{HttpHandler, HttpRequest, MultipartWriter, ThreadingHttpServer};
use socketserver::{
    DatagramRequest, EventHandler, EventLoopTcpServer, ForkingTcpServer, PoolTcpServer, Serve,
    StreamRequest, TcpServer, ThreadingTcpServer, UdpServer,
};

#[path = "../tests/support/http.rs"]
#[allow(dead_code)]
mod http;

/// Every client call gives up after this long: a hung server is a failure, not a hang.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The server processes, by name.
const MODES: [&str; 8] = [
    "iterative",
    "threading",
    "pool",
    "forking",
    "event_loop",
    "chat",
    "udp",
    "http",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        let mode = args.get(i + 1).map(String::as_str).unwrap_or("");
        if let Err(err) = serve(mode) {
            eprintln!("soak server {mode}: {err}");
            std::process::exit(1);
        }
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list`: nothing to list
    }
    std::process::exit(soak());
}

// The servers.

fn echo_lines(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

/// The chat relay: each line to every other member.
struct Chat;

impl EventHandler for Chat {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.broadcast(line);
        Ok(())
    }
}

/// `GET /hello`: `hello`; `GET /stream`: ten 8 KiB frames as an MJPEG-style stream.
struct Camera;

impl HttpHandler for Camera {
    fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        match req.path() {
            "/hello" => {
                req.send_response(200)?;
                req.send_header("Content-Length", 5)?;
                req.end_headers()?;
                req.wfile().write_all(b"hello")
            }
            "/stream" => {
                let frame = vec![0xd8; 8 * 1024];
                let mut stream = MultipartWriter::new(req, "FRAME")?;
                for _ in 0..10 {
                    stream.write_part("image/jpeg", &frame)?;
                }
                stream.finish()
            }
            _ => req.send_error(404, None),
        }
    }
}

/// Serves `mode` on 127.0.0.1:0 until stdin closes; the first line out is its address.
fn serve(mode: &str) -> socketserver::Result<()> {
    fn run<S: Serve<Addr = SocketAddr>>(server: S) -> socketserver::Result<()> {
        println!("listening on {}", server.local_addr()?);
        io::stdout().flush()?;
        let handle = server.shutdown_handle();
        thread::spawn(move || {
            let _ = io::copy(&mut io::stdin(), &mut io::sink());
            handle.shutdown();
        });
        server.serve_forever()
    }
    let addr = "127.0.0.1:0";
    let echo = || echo_lines;
    match mode {
        "iterative" => run(TcpServer::builder().bind(addr, echo)?),
        "threading" => run(ThreadingTcpServer::builder().bind(addr, echo)?),
        "pool" => run(PoolTcpServer::builder().max_workers(16).bind(addr, echo)?),
        "forking" => run(ForkingTcpServer::builder().bind(addr, echo)?),
        "event_loop" => run(EventLoopTcpServer::builder().bind(addr, || {
            |ctx: &mut Context<'_>, data: &[u8]| {
                ctx.send(data);
                Ok(())
            }
        })?),
        "chat" => run(EventLoopTcpServer::builder().bind(addr, || Chat)?),
        "udp" => run(UdpServer::builder().bind(addr, || {
            |req: &mut DatagramRequest| {
                req.wfile = req.packet().to_vec();
                Ok(())
            }
        })?),
        "http" => run(ThreadingHttpServer::builder().bind(addr, || Camera)?),
        other => Err(socketserver::Error::Io(io::Error::other(format!(
            "no mode {other}"
        )))),
    }
}

// The load.

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

fn try_connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// Counts of one mode's load.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    resets: AtomicU64,
    failed: AtomicU64,
    first_failure: Mutex<Option<String>>,
}

impl Tally {
    fn record(&self, outcome: io::Result<()>) {
        match outcome {
            Ok(()) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_failure.lock().unwrap();
                first.get_or_insert_with(|| err.to_string());
            }
        }
    }
}

fn wrong(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// One echo round trip of `line` on `stream`, byte-exact.
fn echo_round_trip(
    stream: &mut TcpStream,
    reader: &mut impl BufRead,
    line: &str,
) -> io::Result<()> {
    stream.write_all(line.as_bytes())?;
    let mut back = String::new();
    reader.read_line(&mut back)?;
    if back == line {
        Ok(())
    } else {
        Err(wrong(format!("echo {back:?} for {line:?}")))
    }
}

/// Half a line, then a reset (SO_LINGER 0): the fault every stream server gets.
fn reset_mid_request(addr: SocketAddr, tally: &Tally) {
    if let Ok(mut stream) = try_connect(addr) {
        let _ = stream.write_all(b"half a line and then");
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        tally.resets.fetch_add(1, Ordering::Relaxed);
    }
}

/// Line clients: `per_connection` round trips on a connection, then a new one; every
/// 20th connection a reset instead.
fn echo_client(
    addr: SocketAddr,
    per_connection: usize,
    pace: Duration,
    stop: &AtomicBool,
    tally: &Tally,
) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        if n % 20 == 0 {
            reset_mid_request(addr, tally);
            continue;
        }
        let outcome = try_connect(addr).and_then(|mut stream| {
            let mut reader = BufReader::new(stream.try_clone()?);
            for i in 0..per_connection {
                let line = format!("line {n}.{i} {}\n", "x".repeat((n as usize * 7 + i) % 300));
                echo_round_trip(&mut stream, &mut reader, &line)?;
                tally.ok.fetch_add(1, Ordering::Relaxed);
                thread::sleep(pace);
            }
            Ok(())
        });
        if outcome.is_err() {
            tally.record(outcome);
        }
    }
}

/// Three chat members; each in turn sends a line, which the two others must receive.
fn chat_client(addr: SocketAddr, pace: Duration, stop: &AtomicBool, tally: &Tally) {
    let members: Vec<(TcpStream, BufReader<TcpStream>)> = (0..3)
        .map(|_| {
            let stream = connect(addr);
            let reader = BufReader::new(stream.try_clone().unwrap());
            (stream, reader)
        })
        .collect();
    let mut members = members;
    // The server accepts in connection order, so once the last member's line reaches the
    // first two, all three are in the room.
    let sync = members[2].0.write_all(b"sync\n").and_then(|()| {
        for (_, reader) in &mut members[..2] {
            reader.read_line(&mut String::new())?;
        }
        Ok(())
    });
    tally.record(sync);
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let from = (n % 3) as usize;
        let line = format!("chat {n} from {from}\n");
        let outcome = members[from].0.write_all(line.as_bytes()).and_then(|()| {
            for (i, (_, reader)) in members.iter_mut().enumerate() {
                if i == from {
                    continue;
                }
                let mut got = String::new();
                reader.read_line(&mut got)?;
                if got != line {
                    return Err(wrong(format!("member {i} got {got:?}, not {line:?}")));
                }
            }
            Ok(())
        });
        tally.record(outcome);
        thread::sleep(pace);
    }
}

fn udp_client(addr: SocketAddr, pace: Duration, stop: &AtomicBool, tally: &Tally) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut n = 0u64;
    let mut buf = vec![0; 2048];
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let datagram = format!("datagram {n} {}", "u".repeat(n as usize % 1000));
        let outcome = socket.send_to(datagram.as_bytes(), addr).and_then(|_| {
            let got = socket.recv(&mut buf)?;
            if &buf[..got] == datagram.as_bytes() {
                Ok(())
            } else {
                Err(wrong(format!("datagram {n} came back different")))
            }
        });
        tally.record(outcome);
        thread::sleep(pace);
    }
}

/// Keep-alive: requests on one connection, a new connection every 50.
fn http_client(addr: SocketAddr, pace: Duration, stop: &AtomicBool, tally: &Tally) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = try_connect(addr) else {
            tally.record(Err(io::Error::other("connect")));
            continue;
        };
        let mut client = http::Client {
            reader: BufReader::new(stream),
        };
        for _ in 0..50 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let outcome = client
                .reader
                .get_mut()
                .write_all(b"GET /hello HTTP/1.1\r\nHost: soak\r\n\r\n")
                .and_then(|()| http::read_response(&mut client.reader, false))
                .and_then(|response| {
                    if response.status == 200 && response.body == b"hello" {
                        Ok(())
                    } else {
                        Err(wrong(format!("status {}", response.status)))
                    }
                });
            tally.record(outcome);
            thread::sleep(pace);
        }
    }
}

/// Viewers come and go: watch a few frames, then leave (every third one by a reset).
fn http_viewer(addr: SocketAddr, pace: Duration, stop: &AtomicBool, tally: &Tally) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let outcome = try_connect(addr).and_then(|mut stream| {
            stream.write_all(b"GET /stream HTTP/1.1\r\nHost: soak\r\n\r\n")?;
            let mut reader = BufReader::new(stream.try_clone()?);
            let head = http::read_head(&mut reader)?;
            if head.status != 200 {
                return Err(wrong(format!("stream status {}", head.status)));
            }
            let mut frames = vec![0; 3 * 8 * 1024];
            reader.read_exact(&mut frames)?;
            if n % 3 == 0 {
                socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
                tally.resets.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
        tally.record(outcome);
        thread::sleep(pace * 10);
    }
}

fn resetter(addr: SocketAddr, pace: Duration, stop: &AtomicBool, tally: &Tally) {
    while !stop.load(Ordering::Relaxed) {
        reset_mid_request(addr, tally);
        thread::sleep(pace * 10);
    }
}

// The soak.

/// A server process and its samples.
struct Server {
    mode: &'static str,
    child: Child,
    addr: SocketAddr,
    tally: Arc<Tally>,
    rss_kib: Vec<u64>,
    fds: Vec<u64>,
}

fn start(mode: &'static str) -> Server {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", mode])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{mode} printed {line:?}"))
        .parse()
        .unwrap();
    Server {
        mode,
        child,
        addr,
        tally: Arc::default(),
        rss_kib: Vec::new(),
        fds: Vec::new(),
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmRSS:")
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count() as u64)
}

fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// The first and last tenth of the samples after the warm-up.
fn windows(samples: &[u64], warm_up: usize) -> (&[u64], &[u64]) {
    let steady = &samples[warm_up.min(samples.len())..];
    let tenth = (steady.len() / 10).max(1).min(steady.len());
    (&steady[..tenth], &steady[steady.len() - tenth..])
}

fn soak() -> i32 {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let chosen: Option<Vec<String>> = std::env::var("SOAK_MODES")
        .ok()
        .map(|list| list.split(',').map(str::to_owned).collect());
    let modes: Vec<&'static str> = MODES
        .into_iter()
        .filter(|m| chosen.as_ref().is_none_or(|c| c.iter().any(|x| x == m)))
        .collect();
    println!("soak: {seconds} s of mixed load on {}", modes.join(", "));
    let mut servers: Vec<Server> = modes.into_iter().map(start).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let pace = Duration::from_millis(5);
    let mut clients = Vec::new();
    for server in &servers {
        let (addr, mode) = (server.addr, server.mode);
        let mut spawn = |load: fn(SocketAddr, Duration, &AtomicBool, &Tally)| {
            let (stop, tally) = (Arc::clone(&stop), Arc::clone(&server.tally));
            clients.push(thread::spawn(move || load(addr, pace, &stop, &tally)));
        };
        match mode {
            "iterative" => spawn(|a, p, s, t| echo_client(a, 1, p, s, t)),
            "forking" => {
                spawn(|a, p, s, t| echo_client(a, 5, p, s, t));
                spawn(|a, p, s, t| echo_client(a, 5, p, s, t));
            }
            "threading" | "pool" | "event_loop" => {
                for _ in 0..3 {
                    spawn(|a, p, s, t| echo_client(a, 100, p, s, t));
                }
                spawn(resetter);
            }
            "chat" => spawn(chat_client),
            "udp" => spawn(udp_client),
            "http" => {
                spawn(http_client);
                spawn(http_client);
                spawn(http_viewer);
                spawn(http_viewer);
                spawn(resetter);
            }
            _ => unreachable!(),
        }
    }
    let started = Instant::now();
    let mut next = started;
    while started.elapsed() < Duration::from_secs(seconds) {
        for server in &mut servers {
            let pid = server.child.id();
            server.rss_kib.push(rss_kib(pid));
            server.fds.push(open_fds(pid));
        }
        next += Duration::from_secs(1);
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        let _ = client.join();
    }

    let warm_up = ((seconds / 5).max(5)) as usize;
    println!(
        "\n| mode | requests | resets | failed | RSS KiB (start -> end) | fds (start -> end) | flat |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut failures = 0;
    for server in &mut servers {
        let (rss_first, rss_last) = windows(&server.rss_kib, warm_up);
        let (fds_first, fds_last) = windows(&server.fds, warm_up);
        let (rss_start, rss_end) = (median(rss_first), median(rss_last));
        let fds_start = fds_first.iter().copied().max().unwrap_or(0);
        let fds_end = fds_last.iter().copied().max().unwrap_or(0);
        let rss_flat = rss_end <= rss_start + rss_start / 10 + 1024;
        let fds_flat = fds_end <= fds_start + 8;
        let tally = &server.tally;
        let failed = tally.failed.load(Ordering::SeqCst);
        let ok = tally.ok.load(Ordering::SeqCst);
        let pass = rss_flat && fds_flat && failed == 0 && ok > 0;
        println!(
            "| {} | {ok} | {} | {failed} | {rss_start} -> {rss_end} | {fds_start} -> {fds_end} | {} |",
            server.mode,
            tally.resets.load(Ordering::SeqCst),
            match (rss_flat, fds_flat) {
                (true, true) => "yes",
                (false, true) => "no: RSS grew",
                (true, false) => "no: descriptors grew",
                (false, false) => "no: RSS and descriptors grew",
            }
        );
        if let Some(first) = tally.first_failure.lock().unwrap().as_ref() {
            println!("  {}: first failure: {first}", server.mode);
        }
        if !pass {
            failures += 1;
        }
        // Closing stdin stops the server.
        drop(server.child.stdin.take());
        let deadline = Instant::now() + IO_TIMEOUT;
        while matches!(server.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        if matches!(server.child.try_wait(), Ok(None)) {
            println!(
                "  {}: did not stop within {IO_TIMEOUT:?}: killed",
                server.mode
            );
            let _ = server.child.kill();
            let _ = server.child.wait();
            failures += 1;
        }
    }
    println!(
        "\nwarm-up {warm_up} s; start and end: RSS medians, descriptor maxima of the first and last tenth after it"
    );
    if failures > 0 {
        println!("soak FAILED: {failures} mode(s)");
        1
    } else {
        println!("soak passed");
        0
    }
}
