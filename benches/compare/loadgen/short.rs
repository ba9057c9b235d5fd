//! Short connections: `conns` at a time, each connects, sends one line (after a PROXY
//! protocol v2 header, for the PROXY scenario, as HAProxy's `send-proxy-v2` would), reads
//! the echo, closes, and is replaced by a new connection at once. A round trip is one
//! whole connection: the rate is connections per second.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::{message, stamp, Latencies, Probe, Sample, TICK};

/// A PROXY protocol v2 `PROXY` header for TCP over IPv4 from `source` to `destination`:
/// 16 bytes of signature, version, family and length, then the 12 address bytes (28 in
/// all, what HAProxy sends without TLVs).
pub fn proxy_v2(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let mut header = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    header.push(0x21); // version 2, PROXY
    header.push(0x11); // AF_INET, STREAM
    header.extend_from_slice(&12u16.to_be_bytes());
    let ip = |addr: SocketAddr| match addr {
        SocketAddr::V4(v4) => v4.ip().octets(),
        SocketAddr::V6(_) => [127, 0, 0, 1],
    };
    header.extend_from_slice(&ip(source));
    header.extend_from_slice(&ip(destination));
    header.extend_from_slice(&source.port().to_be_bytes());
    header.extend_from_slice(&destination.port().to_be_bytes());
    header
}

struct Slot {
    stream: Option<TcpStream>,
    /// What is sent: the header (if any) and the line.
    out: Vec<u8>,
    /// Where the line starts in `out`: the echo is `out[line..]`.
    line: usize,
    written: usize,
    read: usize,
    started: Instant,
    seq: u64,
}

enum Step {
    Blocked,
    Served,
    Failed,
}

fn drive(slot: &mut Slot, scratch: &mut [u8]) -> Step {
    let Some(stream) = slot.stream.as_mut() else {
        return Step::Blocked;
    };
    while slot.written < slot.out.len() {
        match stream.write(&slot.out[slot.written..]) {
            Ok(n) => slot.written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::NotConnected => {
                return Step::Blocked
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Failed,
        }
    }
    let echo = &slot.out[slot.line..];
    while slot.read < echo.len() {
        let want = echo.len() - slot.read;
        match stream.read(&mut scratch[..want]) {
            Ok(0) => return Step::Failed,
            Ok(n) if scratch[..n] == echo[slot.read..slot.read + n] => slot.read += n,
            Ok(_) => return Step::Failed,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Blocked,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Failed,
        }
    }
    Step::Served
}

/// Opens slot `i`'s next connection.
fn open(
    poll: &Poll,
    slot: &mut Slot,
    i: usize,
    addr: SocketAddr,
    proxy: bool,
    len: usize,
) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    let _ = stream.set_nodelay(true);
    poll.registry().register(
        &mut stream,
        Token(i),
        Interest::READABLE | Interest::WRITABLE,
    )?;
    slot.seq += 1;
    let mut line = message(i, len);
    stamp(&mut line, i, slot.seq);
    slot.out.clear();
    if proxy {
        let source = SocketAddr::from(([192, 0, 2, 1], (1024 + slot.seq % 60000) as u16));
        slot.out.extend_from_slice(&proxy_v2(source, addr));
    }
    slot.line = slot.out.len();
    slot.out.extend_from_slice(&line);
    slot.written = 0;
    slot.read = 0;
    slot.started = Instant::now();
    slot.stream = Some(stream);
    Ok(())
}

pub fn run(
    addr: SocketAddr,
    pid: u32,
    conns: usize,
    len: usize,
    proxy: bool,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut slots: Vec<Slot> = (0..conns)
        .map(|_| Slot {
            stream: None,
            out: Vec::new(),
            line: 0,
            written: 0,
            read: 0,
            started: Instant::now(),
            seq: 0,
        })
        .collect();
    let mut errors = 0u64;
    for (i, slot) in slots.iter_mut().enumerate() {
        if open(&poll, slot, i, addr, proxy, len).is_err() {
            errors += 1;
        }
    }
    let start = Instant::now();
    let (warm_end, end) = (start + warmup, start + warmup + measure);
    let mut served = 0u64;
    let mut latencies = Latencies::default();
    let mut scratch = vec![0u8; 64 * 1024];
    let mut events = Events::with_capacity(1024);
    let mut probe = None;
    loop {
        let now = Instant::now();
        if probe.is_none() && now >= warm_end {
            probe = Some(Probe::start(pid)?);
        }
        if now >= end {
            break;
        }
        let next = if probe.is_none() { warm_end } else { end };
        poll.poll(&mut events, Some((next - now).min(TICK)))?;
        for event in events.iter() {
            let i = event.token().0;
            let slot = &mut slots[i];
            match drive(slot, &mut scratch) {
                Step::Blocked => continue,
                Step::Served => {
                    let done = Instant::now();
                    if done >= warm_end && done < end {
                        served += 1;
                        latencies.record(done - slot.started);
                    }
                }
                Step::Failed => errors += 1,
            }
            if let Some(mut stream) = slot.stream.take() {
                let _ = poll.registry().deregister(&mut stream);
            }
            // The next connection of this slot, at once.
            if open(&poll, slot, i, addr, proxy, len).is_err() {
                errors += 1;
            }
        }
    }
    let (cpu_seconds, other_load) = match probe {
        Some(probe) => probe.finish(pid)?,
        None => (0.0, 0.0),
    };
    let (p50_us, p99_us) = latencies.percentiles();
    Ok(Sample {
        round_trips: served,
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
