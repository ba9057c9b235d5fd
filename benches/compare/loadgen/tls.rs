//! The TLS scenarios, from the same single `mio` thread as the others, with rustls
//! client connections driven without blocking: line-echo ping-pong through TLS on
//! connections made before the window ([`echo`]), and new connections, each a full
//! handshake followed by one echoed line and a `close_notify` ([`handshakes`]). Every
//! byte that comes back is checked as in the plaintext echo.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rustls::pki_types::ServerName;
use rustls::ClientConnection;

use super::{message, stamp, Latencies, Probe, Sample, TICK};

/// One TLS client connection doing round trips of `msg`.
struct Conn {
    stream: TcpStream,
    tls: ClientConnection,
    msg: Vec<u8>,
    seq: u64,
    /// Whether this round trip's line has been handed to rustls.
    sent: bool,
    read: usize,
    started: Instant,
    /// No new round trips once the window is over.
    idle: bool,
    dead: bool,
}

impl Conn {
    fn new(
        stream: TcpStream,
        config: &Arc<rustls::ClientConfig>,
        msg: Vec<u8>,
    ) -> io::Result<Conn> {
        let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
        let tls = ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
        Ok(Conn {
            stream,
            tls,
            msg,
            seq: 0,
            sent: false,
            read: 0,
            started: Instant::now(),
            idle: false,
            dead: false,
        })
    }
}

enum Step {
    /// Waiting on the socket.
    Blocked,
    /// A whole reply came back, every byte checked.
    Replied,
    /// The server closed, reset, refused the handshake, or sent a wrong byte.
    Failed,
}

/// Writes what rustls has to send until the socket would block.
fn flush(conn: &mut Conn) -> Result<(), ()> {
    while conn.tls.wants_write() {
        match conn.tls.write_tls(&mut conn.stream) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::NotConnected => {
                return Ok(())
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(()),
        }
    }
    Ok(())
}

/// Sends the round trip's line (rustls holds it until the handshake is done) and reads
/// as much of the reply as has come.
fn drive(conn: &mut Conn, scratch: &mut [u8]) -> Step {
    if !conn.sent {
        if conn.tls.writer().write_all(&conn.msg).is_err() {
            return Step::Failed;
        }
        conn.sent = true;
    }
    loop {
        if flush(conn).is_err() {
            return Step::Failed;
        }
        // What rustls has decrypted already.
        while conn.read < conn.msg.len() {
            let want = conn.msg.len() - conn.read;
            match conn.tls.reader().read(&mut scratch[..want]) {
                Ok(0) => return Step::Failed,
                Ok(n) if scratch[..n] == conn.msg[conn.read..conn.read + n] => conn.read += n,
                Ok(_) => return Step::Failed,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return Step::Failed,
            }
        }
        if conn.read == conn.msg.len() {
            return Step::Replied;
        }
        match conn.tls.read_tls(&mut conn.stream) {
            Ok(0) => return Step::Failed,
            Ok(_) => {
                if conn.tls.process_new_packets().is_err() {
                    return Step::Failed;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::NotConnected => {
                return Step::Blocked
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Failed,
        }
    }
}

/// Starts the next round trip on `conn`.
fn next_round_trip(conn: &mut Conn, id: usize, now: Instant) {
    conn.seq += 1;
    stamp(&mut conn.msg, id, conn.seq);
    conn.sent = false;
    conn.read = 0;
    conn.started = now;
}

/// The measured window: its bounds, and what completed inside it.
struct Window {
    warm_end: Instant,
    end: Instant,
    count: u64,
    latencies: Latencies,
}

impl Window {
    fn new(warmup: Duration, measure: Duration) -> Window {
        let start = Instant::now();
        Window {
            warm_end: start + warmup,
            end: start + warmup + measure,
            count: 0,
            latencies: Latencies::default(),
        }
    }

    /// Where the warm-up ends and where the window ends.
    fn bounds(&self) -> (Instant, Instant) {
        (self.warm_end, self.end)
    }

    /// Counts a completion that started at `started`, if it ended inside the window.
    fn record(&mut self, started: Instant, now: Instant) {
        if now >= self.warm_end && now < self.end {
            self.count += 1;
            self.latencies.record(now - started);
        }
    }
}

/// Polls until the window ends, calling `on_event` with each ready token; the server's
/// CPU is read over the measured part.
fn run_window(
    poll: &mut Poll,
    pid: u32,
    (warm_end, end): (Instant, Instant),
    mut on_event: impl FnMut(&mut Poll, usize),
) -> io::Result<(f64, f64)> {
    let mut events = Events::with_capacity(1024);
    let mut cpu_start = None;
    loop {
        let now = Instant::now();
        if cpu_start.is_none() && now >= warm_end {
            cpu_start = Some(Probe::start(pid)?);
        }
        if now >= end {
            break;
        }
        let next = if cpu_start.is_none() { warm_end } else { end };
        poll.poll(&mut events, Some((next - now).min(TICK)))?;
        for event in events.iter() {
            on_event(poll, event.token().0);
        }
    }
    match cpu_start {
        Some(probe) => probe.finish(pid),
        None => Ok((0.0, 0.0)),
    }
}

/// TLS line-echo ping-pong on `conns` connections with `len`-byte lines; the handshakes
/// happen before the window (during the warm-up).
pub fn echo(
    addr: SocketAddr,
    pid: u32,
    conns: usize,
    len: usize,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Sample> {
    let config = crate::tls::client_config()?;
    let mut poll = Poll::new()?;
    let mut list = Vec::with_capacity(conns);
    for (i, mut stream) in super::echo::connect_all(addr, conns)?
        .into_iter()
        .enumerate()
    {
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        list.push(Conn::new(stream, &config, message(i, len))?);
    }
    let mut window = Window::new(warmup, measure);
    let mut scratch = vec![0u8; 64 * 1024];
    let mut errors = 0u64;
    let mut step = |conn: &mut Conn, i: usize, window: &mut Window, errors: &mut u64| loop {
        if conn.idle || conn.dead {
            return;
        }
        match drive(conn, &mut scratch) {
            Step::Blocked => return,
            Step::Failed => {
                conn.dead = true;
                *errors += 1;
                return;
            }
            Step::Replied => {
                let now = Instant::now();
                window.record(conn.started, now);
                if now >= window.end {
                    conn.idle = true;
                    return;
                }
                next_round_trip(conn, i, now);
            }
        }
    };
    for (i, conn) in list.iter_mut().enumerate() {
        conn.started = Instant::now();
        step(conn, i, &mut window, &mut errors);
    }
    let bounds = window.bounds();
    let (cpu_seconds, other_load) = run_window(&mut poll, pid, bounds, |poll, i| {
        let conn = &mut list[i];
        step(conn, i, &mut window, &mut errors);
        if conn.dead {
            let _ = poll.registry().deregister(&mut conn.stream);
        }
    })?;
    let now = Instant::now();
    // A round trip still waiting a whole second at the end has lost bytes.
    errors += list
        .iter()
        .filter(|c| !c.dead && !c.idle && now - c.started > Duration::from_secs(1))
        .count() as u64;
    let (p50_us, p99_us) = window.latencies.percentiles();
    Ok(Sample {
        round_trips: window.count,
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

/// New TLS connections, `conns` at a time: each connects, completes a full handshake,
/// has one `len`-byte line echoed, sends `close_notify` and closes; a new one takes its
/// place. A round trip here is one such connection.
pub fn handshakes(
    addr: SocketAddr,
    pid: u32,
    conns: usize,
    len: usize,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Sample> {
    let config = crate::tls::client_config()?;
    let mut poll = Poll::new()?;
    let open = |poll: &mut Poll, i: usize, seq: u64| -> io::Result<Conn> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let mut msg = message(i, len);
        stamp(&mut msg, i, seq);
        let mut conn = Conn::new(stream, &config, msg)?;
        conn.seq = seq;
        Ok(conn)
    };
    let mut slots: Vec<Option<Conn>> = Vec::with_capacity(conns);
    for i in 0..conns {
        slots.push(Some(open(&mut poll, i, 0)?));
    }
    let mut window = Window::new(warmup, measure);
    let mut scratch = vec![0u8; 64 * 1024];
    let mut errors = 0u64;
    let mut failure = None;
    let bounds = window.bounds();
    let (cpu_seconds, other_load) = run_window(&mut poll, pid, bounds, |poll, i| {
        let Some(conn) = slots[i].as_mut() else {
            return;
        };
        let done = match drive(conn, &mut scratch) {
            Step::Blocked => return,
            Step::Replied => {
                let now = Instant::now();
                window.record(conn.started, now);
                conn.tls.send_close_notify();
                let _ = flush(conn);
                now < window.end
            }
            Step::Failed => {
                errors += 1;
                Instant::now() < window.end
            }
        };
        let Some(mut old) = slots[i].take() else {
            return;
        };
        let _ = poll.registry().deregister(&mut old.stream);
        let seq = old.seq + 1;
        drop(old);
        if done {
            match open(poll, i, seq) {
                Ok(conn) => slots[i] = Some(conn),
                Err(err) => failure = Some(err),
            }
        }
    })?;
    if let Some(err) = failure {
        return Err(err);
    }
    let now = Instant::now();
    // A connection still unanswered a whole second after it started has been lost.
    errors += slots
        .iter()
        .flatten()
        .filter(|c| now - c.started > Duration::from_secs(1))
        .count() as u64;
    let (p50_us, p99_us) = window.latencies.percentiles();
    Ok(Sample {
        round_trips: window.count,
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
