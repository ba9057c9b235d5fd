//! Hold: open `n` connections (at most `IN_FLIGHT` connects pending at once), then keep
//! them all open while each echoes one line about once a second, spread evenly over the
//! second. Reports the server's RSS growth per held connection and how many connections
//! had every echo answered.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Socket, Type};

use super::{message, stamp, Latencies, Probe, Sample, TICK};
use crate::procstat;

const IN_FLIGHT: usize = 256;
/// Connections per loopback source address: well inside the ephemeral port range
/// (32768-60999 by default), so 100,000 connections need only a few addresses.
const PER_SOURCE: usize = 20_000;

/// How many loopback source addresses (127.0.0.2, 127.0.0.3, ...) `n` connections use.
pub fn sources_for(n: usize) -> usize {
    n.div_ceil(PER_SOURCE).max(1)
}

/// Connection `i` of `n` to `addr`, non-blocking, from loopback source address
/// 127.0.0.(2 + i / PER_SOURCE) when `n` needs more than one (IPv4 servers only).
fn connect(addr: SocketAddr, i: usize, n: usize) -> io::Result<TcpStream> {
    if sources_for(n) == 1 || !addr.is_ipv4() {
        return TcpStream::connect(addr);
    }
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    // Leave the port to connect(), which can reuse it towards other destinations.
    let on: libc::c_int = 1;
    // SAFETY: a valid socket, and an int option read by the kernel from our stack.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let source = Ipv4Addr::new(127, 0, 0, 2 + (i / PER_SOURCE) as u8);
    socket.bind(&SocketAddr::from((source, 0)).into())?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(std::net::TcpStream::from(socket)))
}
/// An echo not back within this long counts as not served.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

#[derive(PartialEq, Eq)]
enum State {
    Connecting,
    Idle,
    Busy,
    Failed,
}

struct Conn {
    stream: TcpStream,
    state: State,
    msg: Vec<u8>,
    seq: u64,
    written: usize,
    read: usize,
    sent_at: Instant,
    answered: u64,
    late: bool,
}

impl Conn {
    /// Writes and reads what the socket allows; true when a whole echo came back.
    fn drive(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        while self.written < self.msg.len() {
            match self.stream.write(&self.msg[self.written..]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        while self.read < self.msg.len() {
            let want = self.msg.len() - self.read;
            match self.stream.read(&mut scratch[..want]) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) if scratch[..n] == self.msg[self.read..self.read + n] => self.read += n,
                Ok(_) => return Err(io::Error::other("wrong bytes")),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

pub fn run(
    addr: SocketAddr,
    pid: u32,
    n: usize,
    len: usize,
    connect_deadline: Duration,
    hold: Duration,
) -> io::Result<Sample> {
    let rss_before = procstat::tree_rss_kib(pid)?;
    let mut poll = Poll::new()?;
    let mut conns: Vec<Conn> = Vec::with_capacity(n);
    let mut events = Events::with_capacity(1024);
    let mut scratch = vec![0u8; 64 * 1024];

    // Open the connections: one line each proves the server serves it.
    // At least a millisecond per connection: 100,000 take longer than the default allows.
    let connect_end = Instant::now() + connect_deadline.max(Duration::from_millis(n as u64));
    let mut pending = 0usize;
    let mut established = 0usize;
    let mut latencies = Latencies::default();
    let mut errors = 0u64;
    while (conns.len() < n || pending > 0) && Instant::now() < connect_end {
        while conns.len() < n && pending < IN_FLIGHT {
            let i = conns.len();
            let mut stream = connect(addr, i, n)?;
            let _ = stream.set_nodelay(true);
            poll.registry().register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            conns.push(Conn {
                stream,
                state: State::Connecting,
                msg: message(i, len),
                seq: 0,
                written: 0,
                read: 0,
                sent_at: Instant::now(),
                answered: 0,
                late: false,
            });
            pending += 1;
        }
        poll.poll(&mut events, Some(TICK))?;
        for event in events.iter() {
            let c = &mut conns[event.token().0];
            if c.state != State::Connecting {
                continue;
            }
            match c.drive(&mut scratch) {
                Ok(false) if event.is_error() => {
                    c.state = State::Failed;
                    pending -= 1;
                }
                Ok(false) => {}
                Ok(true) => {
                    c.state = State::Idle;
                    pending -= 1;
                    established += 1;
                }
                Err(e) if e.kind() == ErrorKind::NotConnected => {}
                Err(_) => {
                    c.state = State::Failed;
                    pending -= 1;
                }
            }
        }
    }

    // Hold them all: connection i echoes at offset i/n of every second.
    let probe = Probe::start(pid)?;
    let start = Instant::now();
    let end = start + hold;
    let slot = Duration::from_secs(1).as_secs_f64() / n.max(1) as f64;
    let mut next = 0usize; // pings due so far, over all rounds
    let mut pings = 0u64;
    loop {
        let now = Instant::now();
        let elapsed = (now - start).as_secs_f64();
        // Send every ping that is due.
        while now < end && (next as f64) * slot <= elapsed {
            let i = next % n;
            next += 1;
            let c = &mut conns[i];
            match c.state {
                State::Idle => {
                    c.seq += 1;
                    stamp(&mut c.msg, i, c.seq);
                    c.written = 0;
                    c.read = 0;
                    c.sent_at = now;
                    c.state = State::Busy;
                    pings += 1;
                    match c.drive(&mut scratch) {
                        Ok(true) => {
                            c.state = State::Idle;
                            c.answered += 1;
                            latencies.record(now.elapsed());
                        }
                        Ok(false) => {}
                        Err(_) => c.state = State::Failed,
                    }
                }
                // Still waiting on last second's echo: that one is late.
                State::Busy => c.late = true,
                State::Connecting | State::Failed => {}
            }
        }
        let busy = conns.iter().any(|c| c.state == State::Busy);
        if now >= end && (!busy || now >= end + ANSWER_WITHIN) {
            break;
        }
        let until_next = Duration::from_secs_f64(((next as f64) * slot - elapsed).max(0.0));
        poll.poll(&mut events, Some(until_next.min(TICK)))?;
        for event in events.iter() {
            let c = &mut conns[event.token().0];
            if c.state != State::Busy {
                continue;
            }
            match c.drive(&mut scratch) {
                Ok(true) => {
                    c.state = State::Idle;
                    c.answered += 1;
                    let waited = c.sent_at.elapsed();
                    if waited > ANSWER_WITHIN {
                        c.late = true;
                    }
                    latencies.record(waited);
                }
                Ok(false) => {}
                Err(_) => c.state = State::Failed,
            }
        }
    }
    let (cpu_seconds, other_load) = probe.finish(pid)?;
    let rss_held = procstat::tree_rss_kib(pid)?;
    let threads = procstat::threads(pid);
    let served = conns
        .iter()
        .filter(|c| c.state == State::Idle && !c.late && c.answered > 0)
        .count() as u64;
    errors += (n as u64) - served;
    let answered: u64 = conns.iter().map(|c| c.answered).sum();
    let (p50_us, p99_us) = latencies.percentiles();
    Ok(Sample {
        round_trips: answered,
        seconds: hold.as_secs_f64(),
        p50_us,
        p99_us,
        cpu_seconds,
        other_load,
        errors: errors.max(pings.saturating_sub(answered)),
        served: Some((served, n as u64)),
        rss_kib_per_conn: Some(
            rss_held.saturating_sub(rss_before) as f64 / established.max(1) as f64,
        ),
        threads: Some(threads),
    })
}
