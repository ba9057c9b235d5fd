//! Line-echo ping-pong: every connection sends one line, waits for all of it to come back
//! byte for byte, and sends the next.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::{message, stamp, Latencies, Probe, Sample, TICK};

struct Conn {
    stream: TcpStream,
    msg: Vec<u8>,
    seq: u64,
    written: usize,
    read: usize,
    started: Instant,
    /// No new round trips once the window is over.
    idle: bool,
    dead: bool,
}

/// Connects `conns` clients (blocking, so a slow accept queue is waited out).
pub fn connect_all(addr: SocketAddr, conns: usize) -> io::Result<Vec<TcpStream>> {
    (0..conns)
        .map(|_| {
            let s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
            s.set_nodelay(true)?;
            s.set_nonblocking(true)?;
            Ok(TcpStream::from_std(s))
        })
        .collect()
}

/// Outcome of driving a connection as far as the socket allows.
enum Step {
    /// Waiting on the socket.
    Blocked,
    /// The server closed, reset, or sent a wrong byte.
    Failed,
}

struct Window {
    warm_end: Instant,
    end: Instant,
    round_trips: u64,
    latencies: Latencies,
}

fn drive(conn: &mut Conn, id: usize, scratch: &mut [u8], window: &mut Window) -> Step {
    loop {
        if conn.idle {
            return Step::Blocked;
        }
        while conn.written < conn.msg.len() {
            match conn.stream.write(&conn.msg[conn.written..]) {
                Ok(n) => conn.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Step::Failed,
            }
        }
        loop {
            let want = conn.msg.len() - conn.read;
            if want == 0 {
                break;
            }
            let room = want.min(scratch.len());
            match conn.stream.read(&mut scratch[..room]) {
                Ok(0) => return Step::Failed,
                Ok(n) => {
                    if scratch[..n] != conn.msg[conn.read..conn.read + n] {
                        return Step::Failed;
                    }
                    conn.read += n;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Blocked,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Step::Failed,
            }
        }
        // A whole reply, every byte checked.
        let now = Instant::now();
        if now >= window.warm_end && now < window.end {
            window.round_trips += 1;
            window.latencies.record(now - conn.started);
        }
        if now >= window.end {
            conn.idle = true;
            return Step::Blocked;
        }
        conn.seq += 1;
        stamp(&mut conn.msg, id, conn.seq);
        conn.written = 0;
        conn.read = 0;
        conn.started = now;
    }
}

/// Runs ping-pong on `conns` connections with `len`-byte lines.
pub fn run(
    addr: SocketAddr,
    pid: u32,
    conns: usize,
    len: usize,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut list = Vec::with_capacity(conns);
    for (i, mut stream) in connect_all(addr, conns)?.into_iter().enumerate() {
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        list.push(Conn {
            stream,
            msg: message(i, len),
            seq: 0,
            written: 0,
            read: 0,
            started: Instant::now(),
            idle: false,
            dead: false,
        });
    }
    let start = Instant::now();
    let mut window = Window {
        warm_end: start + warmup,
        end: start + warmup + measure,
        round_trips: 0,
        latencies: Latencies::default(),
    };
    let mut scratch = vec![0u8; 64 * 1024];
    let mut errors = 0u64;
    let fail = |conn: &mut Conn, errors: &mut u64| {
        conn.dead = true;
        *errors += 1;
    };
    for (i, conn) in list.iter_mut().enumerate() {
        conn.started = Instant::now();
        if let Step::Failed = drive(conn, i, &mut scratch, &mut window) {
            fail(conn, &mut errors);
        }
    }
    let mut events = Events::with_capacity(1024);
    let mut cpu_start = None;
    loop {
        let now = Instant::now();
        if cpu_start.is_none() && now >= window.warm_end {
            cpu_start = Some(Probe::start(pid)?);
        }
        if now >= window.end {
            break;
        }
        let next = if cpu_start.is_none() {
            window.warm_end
        } else {
            window.end
        };
        poll.poll(&mut events, Some((next - now).min(TICK)))?;
        for event in events.iter() {
            let i = event.token().0;
            let conn = &mut list[i];
            if conn.dead {
                continue;
            }
            if let Step::Failed = drive(conn, i, &mut scratch, &mut window) {
                fail(conn, &mut errors);
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
    let (cpu_seconds, other_load) = match cpu_start {
        Some(probe) => probe.finish(pid)?,
        None => (0.0, 0.0),
    };
    let now = Instant::now();
    // A round trip still waiting a whole second at the end has lost bytes.
    errors += list
        .iter()
        .filter(|c| !c.dead && !c.idle && now - c.started > Duration::from_secs(1))
        .count() as u64;
    let (p50_us, p99_us) = window.latencies.percentiles();
    Ok(Sample {
        round_trips: window.round_trips,
        seconds: measure.as_secs_f64(),
        p50_us,
        p99_us,
        cpu_seconds,
        other_load,
        errors,
        threads: Some(crate::procstat::threads(pid)),
        ..Sample::default()
    })
}
