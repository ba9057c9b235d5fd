//! The clients users already have, found on `PATH` and run with a time limit: Python
//! scripts written the way the lectures write clients, `nc` and `socat`; [`require`] for a
//! test that cannot run without one (`tmux`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::example::run_with_input;
use super::skip;

/// How long a program run against an example may take.
const PROGRAM_LIMIT: Duration = Duration::from_secs(20);

/// A program on `PATH`, or `None`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether a program is on `PATH`.
pub fn have(program: &str) -> bool {
    find_program(program).is_some()
}

/// Whether `program` is on `PATH`, for a test that cannot run without it. Missing, the test
/// says `SKIPPED: PROGRAM not found` and should return (and so pass), except on CI (the `CI`
/// environment variable is set), where a skip is never allowed: the test fails instead, as
/// `.ci/install-tools.sh` should have installed it.
pub fn require(program: &str) -> bool {
    if have(program) {
        return true;
    }
    skip(&format!("{program} not found"));
    false
}

/// Runs a Python script with `args` and returns its stdout; `None` (and a SKIPPED line)
/// when the machine has no python3. The script must succeed within 20 s.
pub fn python(script: &str, args: &[String]) -> Option<String> {
    if !have("python3") {
        skip("python3 not found");
        return None;
    }
    let mut command = Command::new("python3");
    command.arg("-c").arg(script).args(args);
    let (status, out) = run_with_input(command, b"", PROGRAM_LIMIT);
    assert!(status.success(), "python script failed: {status}");
    Some(String::from_utf8(out).unwrap())
}

/// `[ip, port]` for a Python script's `sys.argv[1:]`.
pub fn argv(addr: SocketAddr) -> Vec<String> {
    vec![addr.ip().to_string(), addr.port().to_string()]
}

/// What `nc -N IP PORT` prints with `input` on its stdin (it closes its side at the end of
/// input); its exit status is not checked.
pub fn nc(addr: SocketAddr, input: &[u8]) -> Vec<u8> {
    let mut nc = Command::new("nc");
    nc.args(["-N", &addr.ip().to_string(), &addr.port().to_string()]);
    run_with_input(nc, input, PROGRAM_LIMIT).1
}

/// What `socat -t WAIT - ADDRESS` prints with `input` on its stdin; `wait_secs`: how long
/// it waits for replies once the input ends. It must succeed.
pub fn socat(wait_secs: u32, address: &str, input: &[u8]) -> Vec<u8> {
    let mut socat = Command::new("socat");
    socat.args(["-t", &wait_secs.to_string(), "-", address]);
    let (status, out) = run_with_input(socat, input, PROGRAM_LIMIT);
    assert!(status.success(), "socat failed: {status}");
    out
}
