//! The report: a markdown file with one table per scenario, a CSV with one line per cell,
//! and a short table on stdout.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use crate::scenarios::Kind;
use crate::stats::{ratios, Cell, Ratio};

/// Where and on what the run happened.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub date: String,
    pub machine: String,
    pub command: String,
    pub settings: String,
    pub pinning: String,
    /// The machine's load average at the start and the end (other work shares the cores).
    pub load: String,
    pub skipped: Vec<String>,
}

fn num(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.digits$}")
    }
}

fn rate(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v >= 10_000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{v:.0}")
    }
}

fn ratio_text(r: Option<Ratio>) -> String {
    match r {
        Some(r) => format!("{:.2}x · {:.2}x", r.rate, r.cost),
        None => "-".into(),
    }
}

fn cost_header(kind: Kind) -> &'static str {
    match kind {
        Kind::Hold | Kind::HoldMany => "RSS KiB/conn",
        _ => "CPU µs/rt",
    }
}

pub fn markdown(cells: &[Cell], info: &RunInfo) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Benchmark: socketserver against Python, hand-written Rust and tokio\n"
    );
    let _ = writeln!(md, "- date: {}", info.date);
    let _ = writeln!(md, "- machine: {}", info.machine);
    let _ = writeln!(md, "- command: `{}`", info.command);
    let _ = writeln!(md, "- settings: {}", info.settings);
    let _ = writeln!(md, "- pinning: {}", info.pinning);
    let _ = writeln!(md, "- load average (1 min) at start and end: {}", info.load);
    for s in &info.skipped {
        let _ = writeln!(md, "- skipped: {s}");
    }
    let _ = writeln!(
        md,
        "\nEvery figure is the median of the repeats; errors are added up over them. \
         CPU µs/rt is the server process's user+system time over the measured window divided \
         by the round trips in it. Ratio columns give `throughput ratio · cost ratio` \
         (cost = CPU per round trip, or RSS per connection for the hold test): \
         above 1x is faster in the first, below 1x is cheaper in the second. \
         `other load` is the CPU other processes of the machine used on the two pinned CPUs \
         during the window (median, in % of one CPU; kernel network work done outside \
         any process counts there too): a sample above the retry threshold was measured \
         again and the least disturbed kept, but throughput on a busy machine stays noisy \
         while CPU per round trip holds up better.\n"
    );
    let mut scenario_ids: Vec<&str> = Vec::new();
    for c in cells {
        if !scenario_ids.contains(&c.scenario.id.as_str()) {
            scenario_ids.push(&c.scenario.id);
        }
    }
    for id in scenario_ids {
        let rows: Vec<&Cell> = cells.iter().filter(|c| c.scenario.id == id).collect();
        let scenario = &rows[0].scenario;
        let extra = matches!(scenario.kind, Kind::Burst | Kind::Hold | Kind::HoldMany);
        let _ = writeln!(md, "## {} (`{}`)\n", scenario.title, scenario.id);
        let _ = write!(
            md,
            "| server | rt/s | p50 µs | p99 µs | {} | errors |",
            cost_header(scenario.kind)
        );
        if extra {
            let _ = write!(md, " served | threads |");
        }
        let _ = writeln!(md, " vs Python | vs twin | vs tokio | other load |");
        let cols = if extra { 12 } else { 10 };
        let _ = writeln!(md, "|{}", " --- |".repeat(cols));
        for cell in rows {
            if let Some(why) = &cell.failure {
                let _ = writeln!(
                    md,
                    "| {} | failed: {} |{}",
                    cell.contender.label,
                    why.replace('|', "/"),
                    " |".repeat(cols - 2)
                );
                continue;
            }
            let [py, twin, tokio] = ratios(cell, cells);
            let _ = write!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                cell.contender.label,
                rate(cell.rate),
                num(cell.p50_us, 0),
                num(cell.p99_us, 0),
                num(cell.cost(), 2),
                cell.errors
            );
            if extra {
                let served = cell
                    .served
                    .map_or("-".into(), |(n, of)| format!("{n:.0}/{of}"));
                let threads = cell.threads.map_or("-".into(), |t| format!("{t:.0}"));
                let _ = write!(md, " {served} | {threads} |");
            }
            let _ = writeln!(
                md,
                " {} | {} | {} | {:.0}% |",
                ratio_text(py),
                ratio_text(twin),
                ratio_text(tokio),
                cell.other_load * 100.0
            );
        }
        let _ = writeln!(md);
    }
    md
}

pub fn csv(cells: &[Cell]) -> String {
    let mut out = String::from(
        "scenario,contender,family,twin,repeats,rt_per_s,p50_us,p99_us,cpu_us_per_rt,errors,served,of,rss_kib_per_conn,threads,other_load,\
         rate_vs_python,cost_vs_python,rate_vs_twin,cost_vs_twin,rate_vs_tokio,cost_vs_tokio,failure\n",
    );
    let f = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            format!("{v:.3}")
        }
    };
    let o = |v: Option<f64>| v.map(f).unwrap_or_default();
    for cell in cells {
        let r = ratios(cell, cells);
        let _ = writeln!(
            out,
            "{},{},{:?},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            cell.scenario.id,
            cell.contender.id,
            cell.contender.family,
            cell.contender.twin.unwrap_or(""),
            cell.repeats,
            f(cell.rate),
            f(cell.p50_us),
            f(cell.p99_us),
            f(cell.cpu_us_per_rt),
            cell.errors,
            o(cell.served.map(|s| s.0)),
            cell.served.map(|s| s.1.to_string()).unwrap_or_default(),
            o(cell.rss_kib_per_conn),
            o(cell.threads),
            f(cell.other_load),
            o(r[0].map(|r| r.rate)),
            o(r[0].map(|r| r.cost)),
            o(r[1].map(|r| r.rate)),
            o(r[1].map(|r| r.cost)),
            o(r[2].map(|r| r.rate)),
            o(r[2].map(|r| r.cost)),
            cell.failure
                .as_deref()
                .unwrap_or("")
                .replace([',', '\n'], ";"),
        );
    }
    out
}

/// A compact view for the terminal.
pub fn terminal(cells: &[Cell]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<18} {:>9} {:>8} {:>8} {:>9} {:>6} {:>12} {:>12} {:>12}",
        "scenario",
        "server",
        "rt/s",
        "p50 µs",
        "p99 µs",
        "cost",
        "errors",
        "vs Python",
        "vs twin",
        "vs tokio"
    );
    for cell in cells {
        let [py, twin, tokio] = ratios(cell, cells);
        let _ = writeln!(
            out,
            "{:<16} {:<18} {:>9} {:>8} {:>8} {:>9} {:>6} {:>12} {:>12} {:>12}",
            cell.scenario.id,
            cell.contender.id,
            rate(cell.rate),
            num(cell.p50_us, 0),
            num(cell.p99_us, 0),
            num(cell.cost(), 2),
            if cell.failure.is_some() {
                "FAIL".into()
            } else {
                cell.errors.to_string()
            },
            ratio_text(py),
            ratio_text(twin),
            ratio_text(tokio)
        );
    }
    out
}

pub fn write(dir: &Path, cells: &[Cell], info: &RunInfo) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join("latest.md"), markdown(cells, info))?;
    fs::write(dir.join("latest.csv"), csv(cells))?;
    Ok(())
}
