//! The knobs of a run, read from the environment so `cargo bench --bench compare` needs no
//! arguments: see `benches/README.md` for the list.

use std::env;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Repeats of every cell; the report shows medians.
    pub repeats: usize,
    /// Length of one measured window.
    pub measure: Duration,
    /// Traffic before the measured window (connections warm, threads started).
    pub warmup: Duration,
    /// Connections opened at once in the burst test.
    pub burst: usize,
    /// How long the burst test waits for every connection to be served.
    pub burst_deadline: Duration,
    /// Connections held in the hold test.
    pub hold: usize,
    /// Connections held in the many-connections hold test (event loops only).
    pub hold_many: usize,
    /// What `hold_many` was asked to be and the open-file limit that made it smaller
    /// (see [`Config::fit_hold_many`]).
    pub hold_many_cut: Option<(usize, u64)>,
    /// How long the hold test holds them (each echoes once a second).
    pub hold_time: Duration,
    /// How long the hold test may take to open its connections.
    pub hold_connect_deadline: Duration,
    /// Only contenders whose id contains one of these (empty: all).
    pub only: Vec<String>,
    /// Only scenarios whose id contains one of these (empty: all).
    pub scenarios: Vec<String>,
    /// A command put before every server (`strace -f -c -o FILE`, `valgrind ...`).
    pub wrap: Vec<String>,
    /// Where the report goes.
    pub out_dir: String,
    pub quick: bool,
    /// A sample during which other processes used more than this much of the pinned
    /// CPUs (fraction of one CPU) is measured again, up to `retries` times; the least
    /// disturbed one is kept.
    pub max_other_load: f64,
    pub retries: usize,
    /// Fail the run when a cell of this crate has errors or failed (for CI).
    pub strict: bool,
}

/// Descriptors a process of the benchmark keeps besides the held connections (the
/// listener, pipes, the static files, the access log): a generous bound.
pub const FD_MARGIN: usize = 500;

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match var(name) {
        Some(v) => v.trim().parse().unwrap_or_else(|_| {
            eprintln!("compare: ignoring {name}={v:?}: not a number");
            default
        }),
        None => default,
    }
}

fn list(name: &str) -> Vec<String> {
    var(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl Config {
    pub fn from_env() -> Config {
        let quick = var("BENCH_QUICK").is_some_and(|v| v != "0");
        let secs = |name: &str, full: f64, quick_default: f64| {
            Duration::from_secs_f64(number(name, if quick { quick_default } else { full }))
        };
        Config {
            repeats: number("BENCH_REPEATS", if quick { 1 } else { 3 }).max(1),
            measure: secs("BENCH_SECONDS", 2.0, 0.5),
            warmup: secs("BENCH_WARMUP", 0.5, 0.2),
            burst: number("BENCH_BURST", 1000),
            burst_deadline: secs("BENCH_BURST_DEADLINE", 10.0, 3.0),
            hold: number("BENCH_HOLD", if quick { 500 } else { 10_000 }),
            hold_many: number("BENCH_HOLD_MANY", if quick { 2_000 } else { 100_000 }),
            hold_many_cut: None,
            hold_time: secs("BENCH_HOLD_SECONDS", 3.0, 2.0),
            hold_connect_deadline: secs("BENCH_HOLD_CONNECT_DEADLINE", 30.0, 10.0),
            only: list("BENCH_ONLY"),
            scenarios: list("BENCH_SCENARIOS"),
            wrap: var("BENCH_WRAP")
                .map(|v| v.split_whitespace().map(String::from).collect())
                .unwrap_or_default(),
            out_dir: var("BENCH_OUT")
                .unwrap_or_else(|| format!("{}/bench-results", env!("CARGO_MANIFEST_DIR"))),
            quick,
            max_other_load: number("BENCH_MAX_OTHER_LOAD", 0.3),
            retries: number("BENCH_RETRIES", if quick { 0 } else { 3 }),
            strict: var("BENCH_STRICT").is_some_and(|v| v != "0"),
        }
    }

    /// Sizes the many-connections hold to the open-file limit `fds` this process could
    /// raise itself to: the server and the load generator each hold a descriptor per
    /// connection, plus a few of their own. Raising the hard limit takes
    /// `CAP_SYS_RESOURCE`, which containers often drop; without it a hold of 100,000 fails
    /// at once with EMFILE and measures nothing, so it is run at the largest round size
    /// that fits and the report says what was asked. Returns what was asked, when it was
    /// cut.
    pub fn fit_hold_many(&mut self, fds: u64) -> Option<usize> {
        let room = usize::try_from(fds)
            .unwrap_or(usize::MAX)
            .saturating_sub(FD_MARGIN);
        let fits = room / 1000 * 1000;
        if self.hold_many <= room || fits == 0 {
            return None;
        }
        let asked = self.hold_many;
        self.hold_many_cut = Some((asked, fds));
        self.hold_many = fits;
        Some(asked)
    }

    /// The environment settings that differ from the defaults, for the report's command.
    pub fn describe(&self) -> String {
        format!(
            "repeats {}, {:.1} s measured after {:.1} s warm-up per cell, burst {} (deadline {:.0} s), hold {} for {:.0} s{}",
            self.repeats,
            self.measure.as_secs_f64(),
            self.warmup.as_secs_f64(),
            self.burst,
            self.burst_deadline.as_secs_f64(),
            self.hold,
            self.hold_time.as_secs_f64(),
            if self.quick { " (BENCH_QUICK)" } else { "" }
        )
    }
}
