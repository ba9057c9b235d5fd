//! The clients users already have, found on `PATH` and run with a time limit: Python
//! scripts written the way the lectures write clients.

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
