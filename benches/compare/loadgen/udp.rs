//! UDP echo ping-pong: every client sends one datagram and waits for the same bytes back;
//! after 200 ms without a reply the datagram counts as lost and the next one goes out.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

use super::{message, stamp, Latencies, Probe, Sample, HEADER, TICK};

const LOST_AFTER: Duration = Duration::from_millis(200);

struct Client {
    socket: UdpSocket,
    msg: Vec<u8>,
    seq: u64,
    sent_at: Instant,
}

impl Client {
    fn send_next(&mut self, id: usize) -> io::Result<()> {
        self.seq += 1;
        stamp(&mut self.msg, id, self.seq);
        self.sent_at = Instant::now();
        match self.socket.send(&self.msg) {
            Ok(_) => Ok(()),
            // A full send buffer drops the datagram: it will time out as lost.
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}

pub fn run(
    addr: SocketAddr,
    pid: u32,
    clients: usize,
    len: usize,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut list = Vec::with_capacity(clients);
    for i in 0..clients {
        let mut socket = UdpSocket::bind("127.0.0.1:0".parse().map_err(io::Error::other)?)?;
        socket.connect(addr)?;
        poll.registry()
            .register(&mut socket, Token(i), Interest::READABLE)?;
        list.push(Client {
            socket,
            msg: message(i, len),
            seq: 0,
            sent_at: Instant::now(),
        });
    }
    for (i, c) in list.iter_mut().enumerate() {
        c.send_next(i)?;
    }
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    let mut round_trips = 0u64;
    let mut latencies = Latencies::default();
    let (mut lost, mut corrupt) = (0u64, 0u64);
    let mut buf = vec![0u8; 65536];
    let mut events = Events::with_capacity(256);
    let mut cpu_start = None;
    loop {
        let now = Instant::now();
        if cpu_start.is_none() && now >= warm_end {
            cpu_start = Some(Probe::start(pid)?);
        }
        if now >= end {
            break;
        }
        let mut wait = (if cpu_start.is_none() { warm_end } else { end }) - now;
        for (i, c) in list.iter_mut().enumerate() {
            let waited = now - c.sent_at;
            if waited >= LOST_AFTER {
                if now >= warm_end {
                    lost += 1;
                }
                c.send_next(i)?;
            } else {
                wait = wait.min(LOST_AFTER - waited);
            }
        }
        poll.poll(&mut events, Some(wait.min(TICK)))?;
        for event in events.iter() {
            let i = event.token().0;
            let c = &mut list[i];
            loop {
                let n = match c.socket.recv(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // ECONNREFUSED from an ICMP error: the server is gone.
                    Err(_) => {
                        corrupt += 1;
                        break;
                    }
                };
                if buf[..n] == c.msg[..] {
                    let now = Instant::now();
                    if now >= warm_end && now < end {
                        round_trips += 1;
                        latencies.record(now - c.sent_at);
                    }
                    if now < end {
                        c.send_next(i)?;
                    }
                } else if n == c.msg.len() && buf[HEADER..n] == c.msg[HEADER..] {
                    // A late reply to a datagram already counted as lost.
                } else {
                    corrupt += 1;
                }
            }
        }
    }
    let (cpu_seconds, other_load) = match cpu_start {
        Some(probe) => probe.finish(pid)?,
        None => (0.0, 0.0),
    };
    let (p50_us, p99_us) = latencies.percentiles();
    Ok(Sample {
        round_trips,
        seconds: measure.as_secs_f64(),
        p50_us,
        p99_us,
        cpu_seconds,
        other_load,
        errors: lost + corrupt,
        threads: Some(crate::procstat::threads(pid)),
        ..Sample::default()
    })
}
