//! From repeated samples to one cell: medians of every figure, errors added up (one lost
//! byte in any repeat must show), and the ratios to Python, the twin and tokio.

use crate::contenders::{Contender, Family};
use crate::loadgen::Sample;
use crate::scenarios::Scenario;

/// One row of the report: a contender in a scenario.
#[derive(Debug, Clone)]
pub struct Cell {
    pub scenario: Scenario,
    pub contender: Contender,
    pub repeats: usize,
    pub rate: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub cpu_us_per_rt: f64,
    pub errors: u64,
    pub served: Option<(f64, u64)>,
    pub rss_kib_per_conn: Option<f64>,
    pub threads: Option<f64>,
    /// Median share of a CPU other processes used on the pinned CPUs meanwhile.
    pub other_load: f64,
    /// Why the cell has no numbers (the server failed, a tool is missing).
    pub failure: Option<String>,
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

impl Cell {
    pub fn from_samples(
        scenario: &Scenario,
        contender: &Contender,
        samples: &[Sample],
        failure: Option<String>,
    ) -> Cell {
        let m = |f: &dyn Fn(&Sample) -> f64| median(samples.iter().map(f).collect());
        let opt = |f: &dyn Fn(&Sample) -> Option<f64>| {
            let v: Vec<f64> = samples.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| median(v))
        };
        Cell {
            scenario: scenario.clone(),
            contender: contender.clone(),
            repeats: samples.len(),
            rate: m(&|s| s.rate()),
            p50_us: m(&|s| s.p50_us),
            p99_us: m(&|s| s.p99_us),
            cpu_us_per_rt: m(&|s| s.cpu_us_per_rt()),
            errors: samples.iter().map(|s| s.errors).sum(),
            served: samples.first().and_then(|s| s.served).map(|(_, of)| {
                let served = median(
                    samples
                        .iter()
                        .filter_map(|s| s.served)
                        .map(|(n, _)| n as f64)
                        .collect(),
                );
                (served, of)
            }),
            rss_kib_per_conn: opt(&|s| s.rss_kib_per_conn),
            threads: opt(&|s| s.threads.map(|t| t as f64)),
            other_load: m(&|s| s.other_load),
            failure,
        }
    }

    /// The figure ratios compare besides throughput: RSS per connection for the hold
    /// test, CPU per round trip elsewhere. Lower is better.
    pub fn cost(&self) -> f64 {
        self.rss_kib_per_conn.unwrap_or(self.cpu_us_per_rt)
    }
}

/// This cell against another: (throughput ratio, cost ratio).
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    pub rate: f64,
    pub cost: f64,
}

fn ratio(a: &Cell, b: &Cell) -> Option<Ratio> {
    if a.failure.is_some() || b.failure.is_some() || a.repeats == 0 || b.repeats == 0 {
        return None;
    }
    Some(Ratio {
        rate: a.rate / b.rate,
        cost: a.cost() / b.cost(),
    })
}

/// Ratios of `cell` to Python's server, its hand-written twin and tokio in the same
/// scenario (None where that contender is absent or is the cell itself).
pub fn ratios(cell: &Cell, all: &[Cell]) -> [Option<Ratio>; 3] {
    let same = |pred: &dyn Fn(&Contender) -> bool| {
        all.iter().find(|c| {
            c.scenario.id == cell.scenario.id
                && pred(&c.contender)
                && c.contender.id != cell.contender.id
        })
    };
    let python = same(&|c| c.family == Family::Python);
    let twin = cell.contender.twin.and_then(|twin| same(&|c| c.id == twin));
    let tokio = same(&|c| c.family == Family::Tokio);
    [python, twin, tokio].map(|other| other.and_then(|o| ratio(cell, o)))
}
