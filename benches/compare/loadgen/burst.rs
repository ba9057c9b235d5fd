//! Burst: `n` connections started at once (non-blocking connects, no pacing); each sends
//! one line as soon as it is connected and counts as served when the whole line came
//! back. Whatever is not served by the deadline is reported.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::{message, Latencies, Probe, Sample, TICK};

struct Conn {
    stream: Option<TcpStream>,
    msg: Vec<u8>,
    written: usize,
    read: usize,
}

enum Step {
    Blocked,
    Served,
    Failed,
}

fn drive(conn: &mut Conn, scratch: &mut [u8]) -> Step {
    let Some(stream) = conn.stream.as_mut() else {
        return Step::Blocked;
    };
    while conn.written < conn.msg.len() {
        match stream.write(&conn.msg[conn.written..]) {
            Ok(n) => conn.written += n,
            // Not connected yet (or the buffer is full): wait for writable.
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::NotConnected => {
                return Step::Blocked
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Failed,
        }
    }
    while conn.read < conn.msg.len() {
        let want = conn.msg.len() - conn.read;
        match stream.read(&mut scratch[..want]) {
            Ok(0) => return Step::Failed,
            Ok(n) if scratch[..n] == conn.msg[conn.read..conn.read + n] => conn.read += n,
            Ok(_) => return Step::Failed,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Blocked,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Failed,
        }
    }
    Step::Served
}

pub fn run(
    addr: SocketAddr,
    pid: u32,
    n: usize,
    len: usize,
    deadline: Duration,
) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let probe = Probe::start(pid)?;
    let start = Instant::now();
    let mut conns = Vec::with_capacity(n);
    let mut failed = 0u64;
    for i in 0..n {
        let stream = match TcpStream::connect(addr) {
            Ok(mut s) => {
                let _ = s.set_nodelay(true);
                poll.registry().register(
                    &mut s,
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                Some(s)
            }
            Err(_) => {
                failed += 1;
                None
            }
        };
        conns.push(Conn {
            stream,
            msg: message(i, len),
            written: 0,
            read: 0,
        });
    }
    let end = start + deadline;
    let mut served = 0u64;
    let mut last_served = start;
    let mut latencies = Latencies::default();
    let mut open = n as u64 - failed;
    // Connections that failed to connect at once are not served: errors counts them.
    let mut scratch = vec![0u8; 64 * 1024];
    let mut events = Events::with_capacity(1024);
    while open > 0 {
        let now = Instant::now();
        if now >= end {
            break;
        }
        poll.poll(&mut events, Some((end - now).min(TICK)))?;
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            match drive(conn, &mut scratch) {
                Step::Blocked => continue,
                Step::Served => {
                    served += 1;
                    last_served = Instant::now();
                    latencies.record(last_served - start);
                }
                Step::Failed => {}
            }
            open -= 1;
            if let Some(mut s) = conn.stream.take() {
                let _ = poll.registry().deregister(&mut s);
            }
        }
    }
    let (cpu_seconds, other_load) = probe.finish(pid)?;
    let (p50_us, p99_us) = latencies.percentiles();
    drop(conns);
    Ok(Sample {
        round_trips: served,
        seconds: (last_served - start).as_secs_f64().max(1e-6),
        p50_us,
        p99_us,
        cpu_seconds,
        other_load,
        errors: n as u64 - served,
        served: Some((served, n as u64)),
        threads: None,
        ..Sample::default()
    })
}
