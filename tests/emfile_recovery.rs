//! Out of file descriptors, the server backs off instead of spinning, and serves again
//! once descriptors are freed. (Python's loop spins at 100% CPU here, logging nothing.)
//! One test per server type (the fault matrix's "descriptors exhausted" row, see
//! `tests/fault_matrix.rs`): the iterative server, `Threading`, `Pool`, `Forking`, the
//! event loop and HTTP. The first test runs the threading server out of descriptors with
//! clients; the others fill the server's descriptor table with copies of one descriptor
//! once it serves, so that the next accept fails with EMFILE, and free them later.
//!
//! Each server runs in a child process (this binary, re-executed) whose `RLIMIT_NOFILE` is
//! lowered, so the limit touches nothing else. `harness = false`: `main` runs the tests.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use socketserver::server::{Bind, Serves, SocketKind};
use socketserver::{
    EventLoopTcpServer, ForkingTcpServer, Mode, PoolTcpServer, Serve, Server, ServerBuilder,
    TcpServer, ThreadingTcpServer,
};

mod support;

const CHILD_ENV: &str = "SOCKETSERVER_EMFILE_CHILD";
/// The child's descriptor limit, and how many clients the parent opens (more than fit).
const FD_LIMIT: u64 = 48;
/// Every blocking client call gives up after this long.
const IO_TIMEOUT: Duration = support::IO_TIMEOUT;
const CLIENTS: usize = 100;

/// The server types of the filled-table tests, by the name the child is given.
const MODES: &[&str] = &[
    "iterative",
    "threading",
    "pool",
    "forking",
    "event_loop",
    #[cfg(feature = "http")]
    "http",
];

fn main() {
    match std::env::var(CHILD_ENV).as_deref() {
        Ok("clients") => return child_server().expect("child server"),
        Ok(mode) => return filled_child(mode).expect("child server"),
        Err(_) => {}
    }
    let mut tests: Vec<(String, Box<dyn Fn()>)> = vec![(
        "server_recovers_from_emfile_without_spinning".into(),
        Box::new(server_recovers_from_emfile_without_spinning),
    )];
    for &mode in MODES {
        tests.push((
            format!("{mode}_backs_off_while_its_descriptor_table_is_full"),
            Box::new(move || backs_off_while_the_table_is_full(mode)),
        ));
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in &tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(test)) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

fn lower_nofile_limit() {
    let limit = libc::rlimit {
        rlim_cur: FD_LIMIT,
        rlim_max: FD_LIMIT,
    };
    // SAFETY: setrlimit with a valid struct.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
}

/// Echoes lines with a thread per connection, under a low descriptor limit, until stdin
/// closes.
fn child_server() -> socketserver::Result<()> {
    lower_nofile_limit();
    let server = ThreadingTcpServer::builder()
        .daemon_threads(true)
        .bind("127.0.0.1:0", || support::echo_lines)?;
    let handle = server.shutdown_handle();
    std::thread::spawn(move || {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        handle.shutdown();
    });
    println!("listening on {}", server.local_addr()?);
    io::stdout().flush()?;
    server.serve_forever()
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

/// How many sockets a process has open.
fn sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| {
        dir.flatten()
            .filter(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
            })
            .count()
    })
}

/// User plus system CPU time of a process.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

fn server_recovers_from_emfile_without_spinning() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, "clients")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();

    let mut clients: Vec<Option<BufReader<TcpStream>>> = (0..CLIENTS)
        .map(|i| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            writeln!(stream, "client {i}").unwrap();
            Some(BufReader::new(stream))
        })
        .collect();

    // The child fills its descriptor table with connections and stays there.
    assert!(
        support::wait_until(Duration::from_secs(20), || open_fds(pid) + 1
            >= FD_LIMIT as usize),
        "the child never ran out of descriptors"
    );
    // A measurement window, not a synchronisation: CPU used while out of descriptors.
    let before = cpu_time(pid);
    std::thread::sleep(Duration::from_secs(1));
    let spent = cpu_time(pid) - before;
    assert!(
        spent < Duration::from_millis(200),
        "spun while out of descriptors: {spent:?} CPU in 1 s"
    );

    // Collect echoes; each served client hangs up, freeing a descriptor for the next.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut served = 0;
    while served < CLIENTS {
        assert!(
            Instant::now() < deadline,
            "only {served} of {CLIENTS} clients served"
        );
        for (i, slot) in clients.iter_mut().enumerate() {
            let Some(reader) = slot else { continue };
            let mut reply = String::new();
            match reader.read_line(&mut reply) {
                Ok(_) => {
                    assert_eq!(reply, format!("client {i}\n"));
                    *slot = None;
                    served += 1;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("client {i}: {e}"),
            }
        }
    }
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "child exited with {status}");
}

/// A child serving `mode` under the low limit. On stdin, `fill` fills its descriptor
/// table (it answers `full` on stdout), `free` frees it again (`freed`), and the end of
/// input stops the server.
fn filled_child(mode: &str) -> socketserver::Result<()> {
    lower_nofile_limit();
    match mode {
        "iterative" => filled_serve(TcpServer::builder(), || support::echo_lines),
        "threading" => filled_serve(ThreadingTcpServer::builder(), || support::echo_lines),
        "pool" => filled_serve(PoolTcpServer::builder(), || support::echo_lines),
        "forking" => filled_serve(ForkingTcpServer::builder(), || support::echo_lines),
        "event_loop" => filled_serve(EventLoopTcpServer::builder(), || {
            |ctx: &mut socketserver::Context<'_>, data: &[u8]| {
                ctx.send(data);
                Ok(())
            }
        }),
        #[cfg(feature = "http")]
        "http" => filled_serve(socketserver::http::ThreadingHttpServer::builder(), || Hello),
        other => panic!("no mode {other}"),
    }
}

/// `GET` anything: `hello`.
#[cfg(feature = "http")]
struct Hello;

#[cfg(feature = "http")]
impl socketserver::http::HttpHandler for Hello {
    fn do_get(&mut self, req: &mut socketserver::http::HttpRequest<'_>) -> io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Length", 5)?;
        req.end_headers()?;
        req.wfile().write_all(b"hello")
    }
}

fn filled_serve<K, M, H, F>(builder: ServerBuilder<K, M, H>, factory: F) -> socketserver::Result<()>
where
    K: SocketKind + for<'a> Bind<&'a str>,
    M: Serves<K, H> + Mode,
    Server<K, M, H>: Serve<Addr = std::net::SocketAddr>,
    F: socketserver::HandlerFactory<Handler = H>,
{
    let server = builder.bind("127.0.0.1:0", factory)?;
    let handle = Serve::shutdown_handle(&server);
    println!("listening on {}", Serve::local_addr(&server)?);
    io::stdout().flush()?;
    std::thread::spawn(move || {
        let mut fillers = Vec::new();
        for command in io::stdin().lines() {
            match command.as_deref().unwrap_or("") {
                "fill" => {
                    // SAFETY: dup of our own stderr; each copy is closed on `free`.
                    while let fd @ 0.. = unsafe { libc::dup(2) } {
                        fillers.push(fd);
                    }
                    println!("full");
                }
                "free" => {
                    for fd in fillers.drain(..) {
                        // SAFETY: a descriptor this thread made and nothing else uses.
                        unsafe { libc::close(fd) };
                    }
                    println!("freed");
                }
                _ => {}
            }
            let _ = io::stdout().flush();
        }
        handle.shutdown();
    });
    Serve::serve_forever(&server)
}

/// One exchange with the server of `mode`, on `stream`.
fn probe(mode: &str, stream: &mut TcpStream, n: usize) -> String {
    if mode == "http" {
        write!(stream, "GET /{n} HTTP/1.1\r\nHost: emfile\r\n\r\n").unwrap();
    } else {
        writeln!(stream, "probe {n}").unwrap();
    }
    let mut reader = BufReader::new(stream);
    #[cfg(feature = "http")]
    if mode == "http" {
        return support::http::read_response(&mut reader, false)
            .map(|response| response.text())
            .expect("a response");
    }
    let mut line = String::new();
    reader.read_line(&mut line).expect("an echo");
    line
}

fn expected(mode: &str, n: usize) -> String {
    if mode == "http" {
        "hello".into()
    } else {
        format!("probe {n}\n")
    }
}

/// Serves, then its table is filled: a new client waits, without the server spinning,
/// and is served once the table is freed; then the server stops and exits 0.
fn backs_off_while_the_table_is_full(mode: &'static str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    let before = sockets(pid);
    let mut first = support::connect(addr);
    assert_eq!(probe(mode, &mut first, 0), expected(mode, 0));
    // The iterative server's stop watcher makes its socket pair when `serve_forever`
    // starts, which may be after `listening on`: its baseline is counted while it serves
    // the answered connection. (A forking parent may still hold its copy of the
    // connection for a moment after the child answered: the others count before.)
    let idle_sockets = if mode == "iterative" {
        sockets(pid) - 1
    } else {
        before
    };
    // The server closes its end of this connection before the table is filled (closing
    // it later would free a descriptor): it is back to the sockets it had before.
    drop(first);
    assert!(
        support::wait_until(IO_TIMEOUT, || sockets(pid) == idle_sockets),
        "{mode}: the first connection stayed open"
    );

    writeln!(stdin, "fill").unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "full\n");
    let mut waiting = support::connect(addr);
    let answer = std::thread::spawn(move || probe(mode, &mut waiting, 1));
    // A measurement window, not a synchronisation: CPU used while the table is full.
    let before = cpu_time(pid);
    std::thread::sleep(Duration::from_secs(1));
    let spent = cpu_time(pid) - before;
    if answer.is_finished() {
        let early = answer.join();
        panic!("{mode}: answered with its descriptor table full: {early:?}");
    }
    assert!(
        spent < Duration::from_millis(200),
        "{mode}: spun while out of descriptors: {spent:?} CPU in 1 s"
    );
    writeln!(stdin, "free").unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "freed\n");
    assert_eq!(
        answer.join().unwrap(),
        expected(mode, 1),
        "{mode}: served once freed"
    );

    drop(stdin);
    let status = support::example::wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{mode}: child exited with {status}");
}
