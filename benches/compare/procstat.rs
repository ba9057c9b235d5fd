//! What the kernel says about a server process: CPU time and resident memory from `/proc`,
//! summed over the process and its descendants (so a forking server's children count),
//! and CPU pinning with `sched_setaffinity`.

use std::fs;
use std::io;

/// Clock ticks per second for the times in `/proc/PID/stat`.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// CPU seconds of one process: its own (all threads, exited ones included) from the
/// kernel's per-process CPU clock, in nanoseconds, plus the children it already reaped
/// (`cutime` + `cstime` of `/proc/PID/stat`, in clock ticks). Live children are added by
/// [`tree_cpu_seconds`], so a child reaped between two readings is counted in both.
fn own_cpu_seconds(pid: u32) -> io::Result<f64> {
    Ok(process_clock_seconds(pid)? + reaped_children_seconds(pid)?)
}

fn process_clock_seconds(pid: u32) -> io::Result<f64> {
    // SAFETY: both calls write only into the locals passed to them.
    unsafe {
        let mut clock: libc::clockid_t = 0;
        let rc = libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock);
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        let mut ts: libc::timespec = std::mem::zeroed();
        if libc::clock_gettime(clock, &mut ts) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
    }
}

fn reaped_children_seconds(pid: u32) -> io::Result<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces: fields are counted after its ')'.
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 2..])
        .ok_or_else(|| io::Error::other("bad /proc/PID/stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ')': state is index 0, so field N of proc(5) is index N - 3.
    let tick = |n: usize| -> f64 {
        fields
            .get(n - 3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    Ok((tick(16) + tick(17)) / ticks_per_second())
}

/// The live children of `pid` (from every thread's `children` list).
fn children(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return kids;
    };
    for task in tasks.flatten() {
        if let Ok(list) = fs::read_to_string(task.path().join("children")) {
            kids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    kids
}

fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let kids = children(all[i]);
        all.extend(kids);
        i += 1;
    }
    all
}

/// Every live descendant of `pid`.
pub fn descendants(pid: u32) -> Vec<u32> {
    tree(pid).into_iter().skip(1).collect()
}

/// CPU seconds used so far by `pid` and everything it started.
pub fn tree_cpu_seconds(pid: u32) -> io::Result<f64> {
    let mut total = own_cpu_seconds(pid)?;
    for kid in tree(pid).into_iter().skip(1) {
        // A child may exit between listing and reading: then its time is in cutime.
        total += own_cpu_seconds(kid).unwrap_or(0.0);
    }
    Ok(total)
}

/// Resident memory of `pid` and its descendants, in KiB (`VmRSS` of `/proc/PID/status`).
pub fn tree_rss_kib(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for p in tree(pid) {
        let Ok(status) = fs::read_to_string(format!("/proc/{p}/status")) else {
            continue;
        };
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        total += rss;
    }
    Ok(total)
}

/// Threads of `pid` now (`Threads:` in `/proc/PID/status`).
pub fn threads(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Pins the calling thread (and every thread or process it starts later) to `cpu`.
/// Async-signal-safe, so it may run in a `pre_exec` hook.
pub fn pin_current_to(cpu: usize) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain data; CPU_SET stays within it for cpu < CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// How many CPUs this process may run on.
pub fn online_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Raises the open-file limit to its hard maximum (the burst and hold tests need
/// thousands of sockets); children inherit it.
pub fn raise_fd_limit() -> io::Result<u64> {
    // SAFETY: getrlimit/setrlimit write only into the struct we pass.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(io::Error::last_os_error());
        }
        // Root may raise the hard limit too: the many-connections hold needs 100,000
        // descriptors in each process (the server inherits this limit).
        let wanted = libc::rlimit {
            rlim_cur: lim.rlim_max.max(1 << 18),
            rlim_max: lim.rlim_max.max(1 << 18),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
            return Ok(wanted.rlim_cur as u64);
        }
        lim.rlim_cur = lim.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(lim.rlim_cur as u64)
    }
}

/// Busy seconds of each CPU since boot (`/proc/stat`: everything but idle and iowait,
/// steal included: time the hypervisor gave to someone else is interference too).
pub fn cpu_busy_seconds() -> io::Result<Vec<f64>> {
    let stat = fs::read_to_string("/proc/stat")?;
    let hz = ticks_per_second();
    Ok(stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .skip(1)
                .map(|x| x.parse().unwrap_or(0.0))
                .collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
            // user nice system idle iowait irq softirq steal
            (at(0) + at(1) + at(2) + at(5) + at(6) + at(7)) / hz
        })
        .collect())
}
