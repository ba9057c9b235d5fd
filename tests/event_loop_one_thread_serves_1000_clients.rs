//! One thread serves everything: with 1,000 clients connected and every one of them
//! getting its echo, the process has exactly the threads it had plus the serving thread.
//!
//! One test in this binary, so the test harness runs no other test threads meanwhile.

mod support;

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use support::{connect, wait_until, Serving, IO_TIMEOUT};

const CLIENTS: usize = 1000;

struct Echo;

impl EventHandler for Echo {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.send(line);
        Ok(())
    }
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Each client and each server-side connection is a descriptor: 2,000 and more, past the
/// usual soft limit of 1,024.
fn raise_nofile_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}

#[test]
fn one_thread_serves_1000_clients() {
    let limit = raise_nofile_limit();
    assert!(
        limit >= 2 * CLIENTS as u64 + 64,
        "RLIMIT_NOFILE hard limit {limit} too low"
    );

    let before = threads();
    let server = Arc::new(EventLoopTcpServer::bind("127.0.0.1:0", || Echo).unwrap());
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let serving_threads = threads();
    assert_eq!(
        serving_threads,
        before + 1,
        "binding adds no thread; serving adds one"
    );

    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.write_all(format!("hello {i}\n").as_bytes()).unwrap();
    }
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == CLIENTS));
    for (i, client) in clients.iter().enumerate() {
        let mut reply = String::new();
        BufReader::new(client).read_line(&mut reply).unwrap();
        assert_eq!(reply, format!("hello {i}\n"));
    }
    assert_eq!(server.stats().accepted, CLIENTS as u64);
    assert_eq!(
        threads(),
        serving_threads,
        "the server added threads while serving"
    );

    drop(clients);
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 0));
    serving.stop().unwrap();
}
