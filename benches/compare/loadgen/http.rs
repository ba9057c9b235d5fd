//! HTTP keep-alive GETs driven by `wrk` (one thread, on the load-generator CPU like the
//! harness that starts it). wrk counts socket errors and non-2xx answers; those are the
//! row's errors.

use std::io;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use super::{Probe, Sample};

/// Whether `wrk` can be run.
pub fn available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
}

fn wrk(addr: SocketAddr, conns: usize, path: &str, seconds: f64) -> io::Result<String> {
    let out = Command::new("wrk")
        .args(["-t1", &format!("-c{conns}")])
        .arg(format!("-d{}s", seconds.ceil().max(1.0) as u64))
        .arg("--latency")
        .arg(format!("http://{addr}{path}"))
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `12.34us`, `1.20ms`, `2.00s` in microseconds.
fn micros(v: &str) -> f64 {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let num: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => num,
        "ms" => num * 1e3,
        "s" => num * 1e6,
        _ => f64::NAN,
    }
}

pub fn run(
    addr: SocketAddr,
    pid: u32,
    conns: usize,
    path: &str,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Sample> {
    wrk(addr, conns, path, warmup.as_secs_f64())?;
    let probe = Probe::start(pid)?;
    let report = wrk(addr, conns, path, measure.as_secs_f64())?;
    let (cpu_seconds, other_load) = probe.finish(pid)?;
    let mut sample = Sample {
        cpu_seconds,
        other_load,
        ..Sample::default()
    };
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            // "  50%   1.23ms"
            ["50%", v] => sample.p50_us = micros(v),
            ["99%", v] => sample.p99_us = micros(v),
            // "  12345 requests in 2.00s, 1.23MB read"
            [n, "requests", "in", secs, ..] => {
                sample.round_trips = n.parse().unwrap_or(0);
                sample.seconds = micros(secs.trim_end_matches(',')) / 1e6;
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => {
                sample.errors += n.parse::<u64>().unwrap_or(0)
            }
            // "  Socket errors: connect 0, read 0, write 0, timeout 0"
            ["Socket", "errors:", rest @ ..] => {
                sample.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    Ok(sample)
}
