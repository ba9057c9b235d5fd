//! Load generators: each drives one server with bounded connections for a bounded time
//! from a single `mio` thread on the load-generator CPU, checks every byte that comes
//! back, and measures the server's CPU time over the measured window.

pub mod burst;
pub mod echo;
pub mod hold;
pub mod http;
pub mod short;
#[cfg(feature = "tls")]
pub mod tls;
pub mod udp;

use std::time::{Duration, Instant};

use crate::procstat;

/// What one run of one cell measured.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Completed, verified round trips in the measured window.
    pub round_trips: u64,
    /// Length of the measured window.
    pub seconds: f64,
    /// Median and 99th percentile round-trip latency, microseconds.
    pub p50_us: f64,
    pub p99_us: f64,
    /// Server CPU (user + system, process tree) over the measured window.
    pub cpu_seconds: f64,
    /// Wrong bytes, resets, stalls, lost datagrams, failed requests.
    pub errors: u64,
    /// For burst and hold: connections fully served, of how many.
    pub served: Option<(u64, u64)>,
    /// For hold: server RSS growth per held connection, KiB.
    pub rss_kib_per_conn: Option<f64>,
    /// Server threads at the end of the window (what the hold test costs in threads).
    pub threads: Option<u64>,
    /// CPU that other processes used on the two pinned CPUs during the window, as a
    /// fraction of one CPU: the run was disturbed when this is high.
    pub other_load: f64,
}

impl Sample {
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.round_trips as f64 / self.seconds
        } else {
            0.0
        }
    }

    pub fn cpu_us_per_rt(&self) -> f64 {
        if self.round_trips > 0 {
            self.cpu_seconds * 1e6 / self.round_trips as f64
        } else {
            f64::NAN
        }
    }
}

/// Latencies of the measured window, turned into percentiles at the end.
#[derive(Debug, Default)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    pub fn record(&mut self, d: Duration) {
        self.0.push(d.as_nanos().min(u64::MAX as u128) as u64);
    }

    /// (p50, p99) in microseconds.
    pub fn percentiles(mut self) -> (f64, f64) {
        if self.0.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        self.0.sort_unstable();
        let at = |q: f64| {
            let i = ((self.0.len() - 1) as f64 * q).round() as usize;
            self.0[i] as f64 / 1000.0
        };
        (at(0.50), at(0.99))
    }
}

/// CPU readings at the start of a measured window: the server's, this process tree's
/// (the harness, the server, wrk) and the busy time of the two pinned CPUs, so that work
/// of other processes on the machine during the window shows.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    server: f64,
    ours: f64,
    busy: f64,
    at: Instant,
}

fn pinned_busy() -> std::io::Result<f64> {
    let busy = procstat::cpu_busy_seconds()?;
    Ok([crate::launch::SERVER_CPU, crate::launch::LOADGEN_CPU]
        .iter()
        .filter_map(|&c| busy.get(c))
        .sum())
}

impl Probe {
    /// A server that died reads as an error.
    pub fn start(pid: u32) -> std::io::Result<Probe> {
        Ok(Probe {
            server: procstat::tree_cpu_seconds(pid)?,
            ours: procstat::tree_cpu_seconds(std::process::id())?,
            busy: pinned_busy()?,
            at: Instant::now(),
        })
    }

    /// (server CPU seconds, other processes' CPU on the pinned CPUs as a fraction of the
    /// window) since `start`.
    pub fn finish(self, pid: u32) -> std::io::Result<(f64, f64)> {
        let server = procstat::tree_cpu_seconds(pid)? - self.server;
        let ours = procstat::tree_cpu_seconds(std::process::id())? - self.ours;
        let busy = pinned_busy()? - self.busy;
        let wall = self.at.elapsed().as_secs_f64().max(1e-3);
        Ok((server, ((busy - ours) / wall).max(0.0)))
    }
}

/// Width of the header [`stamp`] writes at the start of every message.
pub const HEADER: usize = 22;

/// A message of `len` bytes (at least [`HEADER`] + 1) for connection `conn`: header, a
/// fixed filler, and `\n` (no other newline inside). [`stamp`] sets the round trip.
pub fn message(conn: usize, len: usize) -> Vec<u8> {
    let len = len.max(HEADER + 1);
    let mut out: Vec<u8> = (0..len - 1).map(|i| b'a' + (i % 26) as u8).collect();
    out.push(b'\n');
    stamp(&mut out, conn, 0);
    out
}

/// Writes the header naming connection and round trip, so a reply from another round
/// trip or connection is told apart; only these bytes change between round trips.
pub fn stamp(msg: &mut [u8], conn: usize, seq: u64) {
    use std::io::Write;
    let mut header = &mut msg[..HEADER];
    let _ = write!(
        header,
        "c{:06} s{:012} ",
        conn % 1_000_000,
        seq % 1_000_000_000_000
    );
}

/// Poll timeouts never exceed this, so deadlines are checked often enough.
pub const TICK: Duration = Duration::from_millis(20);
