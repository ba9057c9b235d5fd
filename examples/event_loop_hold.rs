//! `event_loop_hold`: how many connections one event-loop thread holds, and at what cost.
//!
//! Starts an echo [`EventLoopTcpServer`] in a child process (so the client's sockets and
//! memory are not counted), opens and holds `--connections` connections to it, and prints
//! a table: the server's resident memory before and with the connections held (from
//! `/proc/PID/status`), the memory per held connection, the server's threads, and echo
//! round trips per second over the first N held connections with the server's CPU time
//! per round trip.
//!
//! ```text
//! cargo run --release --example event_loop_hold -- --connections 10000 --over 16,128,10000
//! ```
//!
//! Linux only (it reads `/proc`). It raises `RLIMIT_NOFILE` to the hard limit itself.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use socketserver::event::{Context, EventLoopTcpServer};

/// Hold many connections against the event-loop echo server and measure it.
#[derive(Parser)]
struct Args {
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Measure round trips over the first N held connections, for each N listed.
    #[arg(long, value_delimiter = ',', default_value = "16,128,10000")]
    over: Vec<usize>,
    /// Seconds of echo traffic per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Client threads sending the round trips.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Bytes per message, newline included.
    #[arg(long, default_value_t = 32)]
    message_size: usize,
    /// Run as the server (the child process this program starts).
    #[arg(long, hide = true)]
    serve: bool,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    env_logger::init();
    let args = Args::parse();
    raise_nofile_limit()?;
    if args.serve {
        return serve();
    }
    let mut server = Server::start()?;
    let result = measure(&args, &server);
    server.stop()?;
    result
}

/// The server side: a byte-stream echo on one thread, until SIGTERM.
fn serve() -> Result<(), Error> {
    let server = EventLoopTcpServer::bind("127.0.0.1:0", || {
        |ctx: &mut Context<'_>, data: &[u8]| {
            ctx.send(data);
            Ok(())
        }
    })?;
    let handle = server.shutdown_handle();
    ctrlc::set_handler(move || handle.request_shutdown())?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {}", server.local_addr()?)?;
    stdout.flush()?;
    server.serve_forever()?;
    Ok(())
}

fn measure(args: &Args, server: &Server) -> Result<(), Error> {
    let message = message(args.message_size);
    // Baseline after one connection has come and gone, so that what the first connection
    // allocates once (the shared read buffer being touched, the tables) is not counted
    // as per-connection memory.
    {
        let mut warm_up = connect(server.addr)?;
        round_trip(&mut warm_up, &message)?;
    }
    thread::sleep(Duration::from_millis(200)); // let the server close it
    let baseline = server.rss_kib()?;

    let started = Instant::now();
    let mut held = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        held.push(connect(server.addr)?);
    }
    let connect_time = started.elapsed();
    // Every connection served once: echoes in flight on all of them at the same time.
    let served = rounds(&held, &message, Duration::ZERO, args.client_threads)?;
    let with_held = server.rss_kib()?;
    let per_connection = (with_held.saturating_sub(baseline)) as f64 * 1024.0 / held.len() as f64;

    println!(
        "event loop holding {} connections (server pid {})",
        held.len(),
        server.pid()
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| connections opened | {} in {:.2?} |",
        held.len(),
        connect_time
    );
    println!("| connections that got their echo | {served} |");
    println!("| server RSS, baseline | {baseline} KiB |");
    println!("| server RSS, connections held | {with_held} KiB |");
    println!(
        "| server memory per held connection | {per_connection:.0} bytes ({:.2} KiB) |",
        per_connection / 1024.0
    );
    println!(
        "| server threads (one serves; ctrlc adds its signal thread) | {} |",
        server.threads()?
    );
    println!();
    println!(
        "| connections | round trips/s | server CPU per round trip | ({}-byte messages, {} client threads, {:.0} s each) |",
        args.message_size, args.client_threads, args.seconds
    );
    println!("| --- | --- | --- | --- |");
    for &n in &args.over {
        let n = n.min(held.len());
        let cpu_before = server.cpu_time()?;
        let start = Instant::now();
        let trips = rounds(
            &held[..n],
            &message,
            Duration::from_secs_f64(args.seconds),
            args.client_threads,
        )?;
        let elapsed = start.elapsed();
        let cpu = server.cpu_time()? - cpu_before;
        println!(
            "| {n} | {:.0} | {:.2} µs | |",
            trips as f64 / elapsed.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / trips as f64
        );
    }
    println!();
    println!(
        "| server RSS after the round trips | {} KiB |",
        server.rss_kib()?
    );
    Ok(())
}

/// Round trips on every connection of `conns`, split over `threads` client threads, in
/// rounds (send on each, then read each reply) until `duration` has passed (at least one
/// round). Returns the round trips done.
fn rounds(
    conns: &[TcpStream],
    message: &[u8],
    duration: Duration,
    threads: usize,
) -> Result<usize, Error> {
    let deadline = Instant::now() + duration;
    let chunk = conns.len().div_ceil(threads.max(1)).max(1);
    thread::scope(|scope| {
        let workers: Vec<_> = conns
            .chunks(chunk)
            .map(|conns| {
                scope.spawn(move || -> io::Result<usize> {
                    let mut reply = vec![0; message.len()];
                    let mut trips = 0;
                    loop {
                        for mut conn in conns {
                            conn.write_all(message)?;
                        }
                        for mut conn in conns {
                            conn.read_exact(&mut reply)?;
                            if reply != message {
                                return Err(io::Error::other("echo differs"));
                            }
                        }
                        trips += conns.len();
                        if Instant::now() >= deadline {
                            return Ok(trips);
                        }
                    }
                })
            })
            .collect();
        let mut total = 0;
        for worker in workers {
            total += worker.join().map_err(|_| "client thread panicked")??;
        }
        Ok(total)
    })
}

fn message(size: usize) -> Vec<u8> {
    let mut message: Vec<u8> = (0..size.max(1) - 1)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    message.push(b'\n');
    message
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn round_trip(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    stream.write_all(message)?;
    let mut reply = vec![0; message.len()];
    stream.read_exact(&mut reply)
}

/// Both processes hold one descriptor per connection.
fn raise_nofile_limit() -> io::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The server child process.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Result<Self, Error> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("unexpected first line {line:?}"))?
            .parse()?;
        Ok(Server { child, addr })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn status_field(&self, name: &str) -> Result<String, Error> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .ok_or_else(|| format!("no {name} in /proc/PID/status"))?;
        Ok(line.trim().to_owned())
    }

    fn rss_kib(&self) -> Result<u64, Error> {
        let value = self.status_field("VmRSS:")?;
        Ok(value.trim_end_matches("kB").trim().parse()?)
    }

    fn threads(&self) -> Result<u64, Error> {
        Ok(self.status_field("Threads:")?.parse()?)
    }

    /// User plus system CPU time of the server so far.
    fn cpu_time(&self) -> Result<Duration, Error> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the line, in clock ticks.
        let after_name = stat.rsplit_once(')').ok_or("bad /proc/PID/stat")?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Ok(Duration::from_secs_f64(ticks as f64 / per_second))
    }

    /// SIGTERM, then wait: the server shuts down and closes every connection.
    fn stop(&mut self) -> Result<(), Error> {
        let pid = libc::pid_t::try_from(self.pid())?;
        // SAFETY: kill has no memory-safety preconditions; the pid is our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = self.child.wait()?;
        if !status.success() {
            return Err(format!("server exited with {status}").into());
        }
        Ok(())
    }
}
