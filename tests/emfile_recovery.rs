//! Out of file descriptors, the server backs off instead of spinning, and serves again
//! once descriptors are freed. (Python's loop spins at 100% CPU here, logging nothing.)
//!
//! The server runs in a child process (this binary, re-executed) whose `RLIMIT_NOFILE` is
//! lowered, so the limit touches nothing else. `harness = false`: `main` is the test.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use socketserver::ThreadingTcpServer;

mod support;

const CHILD_ENV: &str = "SOCKETSERVER_EMFILE_CHILD";
/// The child's descriptor limit, and how many clients the parent opens (more than fit).
const FD_LIMIT: u64 = 48;
const CLIENTS: usize = 100;

fn main() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child_server().expect("child server");
        return;
    }
    let outcome = std::panic::catch_unwind(server_recovers_from_emfile_without_spinning);
    match outcome {
        Ok(()) => println!(
            "test server_recovers_from_emfile_without_spinning ... ok\n\n1 passed, 0 failed"
        ),
        Err(_) => {
            println!("test server_recovers_from_emfile_without_spinning ... FAILED\n\n0 passed, 1 failed");
            std::process::exit(1);
        }
    }
}

/// Echoes lines with a thread per connection, under a low descriptor limit, until stdin
/// closes.
fn child_server() -> socketserver::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: FD_LIMIT,
        rlim_max: FD_LIMIT,
    };
    // SAFETY: setrlimit with a valid struct.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
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
        .env(CHILD_ENV, "1")
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
