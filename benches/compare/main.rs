//! `cargo bench --bench compare`: this crate's servers against Python's socketserver, the
//! hand-written std and mio servers they replace, and tokio, in one run.
//!
//! Every contender runs in a process of its own, pinned to CPU 0 (`compare --serve ID`
//! for the Rust ones, `python3 benches/python/...` for Python's), so its CPU time and
//! memory are read from `/proc/PID`; the load generator is this process, pinned to CPU 1.
//! Settings come from `BENCH_*` environment variables (see `benches/README.md`); the
//! report goes to `bench-results/latest.{md,csv,svg}`.

mod chart;
mod config;
mod contenders;
mod launch;
mod loadgen;
mod procstat;
mod report;
mod scenarios;
mod servers;
mod stats;
#[cfg(feature = "tls")]
mod tls;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, ExitCode};

use config::Config;
use contenders::{Contender, Launch};
use launch::{Server, LOADGEN_CPU, SERVER_CPU};
use loadgen::Sample;
use scenarios::{Kind, Scenario};
use stats::Cell;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        let Some(id) = args.get(i + 1) else {
            eprintln!("compare: --serve needs a contender id");
            return ExitCode::FAILURE;
        };
        return match servers::serve(id) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("compare --serve {id}: {err}");
                ExitCode::FAILURE
            }
        };
    }
    match run(Config::from_env()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("compare: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run_cell(
    scenario: &Scenario,
    contender: &Contender,
    config: &Config,
) -> std::io::Result<Sample> {
    let server = Server::start(contender, config)?;
    let (addr, pid) = (server.addr, server.pid());
    let (warmup, measure) = (config.warmup, config.measure);
    let (conns, len) = (scenario.conns, scenario.len);
    match scenario.kind {
        Kind::EchoC1 | Kind::EchoC16 | Kind::EchoC128 | Kind::Echo16K => {
            loadgen::echo::run(addr, pid, conns, len, warmup, measure)
        }
        Kind::UdpC1 | Kind::UdpC16 => loadgen::udp::run(addr, pid, conns, len, warmup, measure),
        Kind::Burst => loadgen::burst::run(addr, pid, conns, len, config.burst_deadline),
        Kind::Hold | Kind::HoldMany => loadgen::hold::run(
            addr,
            pid,
            conns,
            len,
            config.hold_connect_deadline,
            config.hold_time,
        ),
        Kind::Http => loadgen::http::run(addr, pid, conns, "/", warmup, measure),
        Kind::Files1K | Kind::Files1M => {
            let (name, _) = if scenario.kind == Kind::Files1K {
                servers::files::SMALL
            } else {
                servers::files::LARGE
            };
            loadgen::http::run(addr, pid, conns, &format!("/{name}"), warmup, measure)
        }
        #[cfg(feature = "tls")]
        Kind::TlsEcho => loadgen::tls::echo(addr, pid, conns, len, warmup, measure),
        #[cfg(feature = "tls")]
        Kind::TlsHandshake => loadgen::tls::handshakes(addr, pid, conns, len, warmup, measure),
        Kind::Short => {
            let proxy = contender.sends_proxy_v2();
            loadgen::short::run(addr, pid, conns, len, proxy, warmup, measure)
        }
    }
}

/// Measures a cell once, or again while other processes disturbed the pinned CPUs (up to
/// `config.retries` times, pausing so their burst can pass); keeps the least disturbed.
fn measure(scenario: &Scenario, contender: &Contender, config: &Config) -> std::io::Result<Sample> {
    let mut best = run_cell(scenario, contender, config)?;
    for attempt in 1..=config.retries {
        if best.other_load <= config.max_other_load {
            break;
        }
        eprintln!(
            "      {} {}: other processes used {:.0}% of a CPU meanwhile; measuring again ({attempt}/{})",
            scenario.id,
            contender.id,
            best.other_load * 100.0,
            config.retries
        );
        std::thread::sleep(std::time::Duration::from_secs(2 * attempt as u64));
        let again = run_cell(scenario, contender, config)?;
        if again.other_load < best.other_load {
            best = again;
        }
    }
    Ok(best)
}

/// Whether `id` passes a `BENCH_ONLY`/`BENCH_SCENARIOS` list: an entry matches ids that
/// contain it, or, written `=id`, only that id.
fn wanted(filter: &[String], id: &str) -> bool {
    filter.is_empty()
        || filter.iter().any(|f| match f.strip_prefix('=') {
            Some(exact) => id == exact,
            None => id.contains(f.as_str()),
        })
}

fn tool_version(cmd: &str, arg: &str) -> Option<String> {
    let out = Command::new(cmd).arg(arg).output().ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    Some(
        String::from_utf8_lossy(&text)
            .lines()
            .next()?
            .trim()
            .to_string(),
    )
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    // SAFETY: sysconf has no preconditions.
    let cores = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, Linux {}, {}, {}",
        kernel.trim(),
        tool_version("rustc", "-V").unwrap_or_else(|| "rustc ?".into()),
        tool_version("python3", "--version").unwrap_or_else(|| "no python3".into()),
    )
}

fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as libc::time_t;
    // SAFETY: gmtime_r writes only into `tm`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::gmtime_r(&secs, &mut tm);
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

fn command_line() -> String {
    let mut vars: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("BENCH_"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    vars.sort();
    // Built with io-uring, the run has the `ss-event-uring` row: say so.
    let features = if cfg!(feature = "io-uring") {
        " --features io-uring"
    } else {
        ""
    };
    vars.push(format!("cargo bench --bench compare{features}"));
    vars.join(" ")
}

fn run(mut config: Config) -> std::io::Result<()> {
    // The TLS scenarios' certificate, made now and shared with every server process.
    #[cfg(feature = "tls")]
    let _certificates = tls::prepare()?;
    let pinning = if procstat::online_cpus() >= 2 {
        procstat::pin_current_to(LOADGEN_CPU)?;
        format!("servers pinned to CPU {SERVER_CPU}, load generator (and wrk) to CPU {LOADGEN_CPU} (sched_setaffinity)")
    } else {
        "NOT pinned: fewer than 2 CPUs available".into()
    };
    eprintln!("compare: {pinning}");
    // The static-file scenario's directory, before any of its servers starts.
    let files = servers::files::dir()?;
    eprintln!(
        "compare: static files and access logs in {}",
        files.display()
    );
    let fds = procstat::raise_fd_limit()?;
    if let Some(asked) = config.fit_hold_many(fds) {
        eprintln!(
            "compare: the open-file limit is {fds} (this process cannot raise its hard limit): the many-connections hold runs {} connections, not {asked}",
            config.hold_many
        );
    }
    let most_held = config.hold.max(config.hold_many);
    if (fds as usize) < most_held + config::FD_MARGIN {
        eprintln!(
            "compare: open-file limit {fds} is below the hold tests' {most_held} connections"
        );
    }
    let mut skipped = Vec::new();
    let python = tool_version("python3", "--version").is_some();
    if !python {
        skipped.push("Python contenders: python3 not found".to_string());
    }
    let wrk = loadgen::http::available();
    if !wrk {
        skipped.push("HTTP scenario: wrk not found (apt-get install wrk)".to_string());
    }
    let scenarios: Vec<Scenario> = scenarios::all(&config)
        .into_iter()
        .filter(|s| wanted(&config.scenarios, &s.id))
        .filter(|s| wrk || !matches!(s.kind, Kind::Http | Kind::Files1K | Kind::Files1M))
        .collect();
    let contenders: Vec<Contender> = contenders::all()
        .into_iter()
        .filter(|c| wanted(&config.only, c.id))
        .filter(|c| python || !matches!(c.launch, Launch::Script(_)))
        .collect();
    eprintln!("compare: {}", config.describe());
    let load_at_start = load_average();

    let mut samples: HashMap<(String, &str), Vec<Sample>> = HashMap::new();
    let mut failures: HashMap<(String, &str), String> = HashMap::new();
    for repeat in 1..=config.repeats {
        for scenario in &scenarios {
            for contender in contenders
                .iter()
                .filter(|c| c.scenarios.contains(&scenario.kind))
            {
                let key = (scenario.id.clone(), contender.id);
                match measure(scenario, contender, &config) {
                    Ok(s) => {
                        eprintln!(
                            "[{repeat}/{}] {:<16} {:<18} {:>9} rt {:>10.0} rt/s  p50 {:>6.0} µs  p99 {:>7.0} µs  cpu {:>6.2} µs/rt  errors {}  other load {:.0}%{}{}",
                            config.repeats,
                            scenario.id,
                            contender.id,
                            s.round_trips,
                            s.rate(),
                            s.p50_us,
                            s.p99_us,
                            s.cpu_us_per_rt(),
                            s.errors,
                            s.other_load * 100.0,
                            s.served.map_or(String::new(), |(n, of)| format!("  served {n}/{of}")),
                            s.rss_kib_per_conn.map_or(String::new(), |r| format!("  rss {r:.1} KiB/conn")),
                        );
                        samples.entry(key).or_default().push(s);
                    }
                    Err(err) => {
                        eprintln!(
                            "[{repeat}/{}] {} {}: FAILED: {err}",
                            config.repeats, scenario.id, contender.id
                        );
                        failures.insert(key, err.to_string());
                    }
                }
            }
        }
    }

    let mut cells = Vec::new();
    for scenario in &scenarios {
        for contender in contenders
            .iter()
            .filter(|c| c.scenarios.contains(&scenario.kind))
        {
            let key = (scenario.id.clone(), contender.id);
            let got = samples.remove(&key).unwrap_or_default();
            let failure = failures.remove(&key).filter(|_| got.is_empty());
            cells.push(Cell::from_samples(scenario, contender, &got, failure));
        }
    }
    let info = report::RunInfo {
        date: utc_now(),
        machine: machine(),
        command: command_line(),
        settings: config.describe(),
        pinning,
        load: format!("{load_at_start} / {}", load_average()),
        skipped,
    };
    let dir = Path::new(&config.out_dir);
    report::write(dir, &cells, &info)?;
    chart::write(
        &dir.join("latest.svg"),
        &cells,
        &format!(
            "socketserver benchmark, {} — {} — medians of {} repeat(s)",
            info.date, info.machine, config.repeats
        ),
    )?;
    println!("{}", report::terminal(&cells));
    println!(
        "report: {}/latest.md, latest.csv, latest.svg",
        dir.display()
    );
    let broken: Vec<String> = cells
        .iter()
        .filter(|c| c.contender.family == contenders::Family::Crate)
        .filter(|c| c.errors > 0 || c.failure.is_some())
        .map(|c| format!("{} {}", c.scenario.id, c.contender.id))
        .collect();
    if config.strict && !broken.is_empty() {
        return Err(std::io::Error::other(format!(
            "BENCH_STRICT: this crate lost requests or bytes in: {}",
            broken.join(", ")
        )));
    }
    Ok(())
}
