//! Zero-downtime upgrades with `examples/upgrade_supervisor`: it holds the listening
//! socket and serves it through a server started by socket activation; each SIGHUP starts
//! the server command again (here a symbolic link the test points at another binary in
//! between: `echo_server`, then `select_echo_server`, then back), waits for the new
//! instance's `listening on`, then stops the old one with SIGTERM. Clients loop through
//! three upgrades: not one connection refused, not one reply lost or changed. An upgrade
//! to a binary that does not start leaves the old server serving.

mod support;

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::balancer::{converse, Instance, Load};
use support::example::example_path;
use support::wait_until;

/// Points the link `link` at `target`, replacing it in one step (rename), as an upgrade
/// replaces a binary.
fn point(link: &Path, target: &Path) {
    let staged = link.with_extension("new");
    let _ = std::fs::remove_file(&staged);
    std::os::unix::fs::symlink(target, &staged).unwrap();
    std::fs::rename(&staged, link).unwrap();
}

/// The supervisor on port 0, serving `server` (with `--reuse-port` off: one socket).
fn supervisor(server: &Path) -> Instance {
    let mut command = Command::new(example_path("upgrade_supervisor"));
    command
        .args(["-p", "0", "--start-timeout", "60", "--"])
        .arg(server);
    Instance::spawn("upgrade_supervisor", command)
}

/// How many old instances the supervisor has stopped.
fn stopped(supervisor: &Instance) -> usize {
    supervisor
        .log
        .all()
        .iter()
        .filter(|line| line.contains("stopped ("))
        .count()
}

#[test]
fn three_upgrades_under_load_refuse_nothing_and_lose_no_reply() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("server");
    let binaries = [
        example_path("echo_server"),
        example_path("select_echo_server"),
    ];
    point(&link, &binaries[0]);
    let mut supervisor = supervisor(&link);
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let load = Load::start(supervisor.addr, &[loopback], 4, || {});
    load.wait_for(200, Duration::from_secs(60));
    for round in 1..=3 {
        point(&link, &binaries[round % 2]);
        support::balancer::signal_pid(supervisor.pid(), libc::SIGHUP);
        assert!(
            wait_until(Duration::from_secs(60), || stopped(&supervisor) == round),
            "upgrade {round} did not finish: {:?}",
            supervisor.log.all()
        );
        load.wait_for(200, Duration::from_secs(60));
    }
    let outcomes = load.stop();
    let failed: Vec<_> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} conversations failed: {:?}",
        failed.len(),
        outcomes.len(),
        &failed[..failed.len().min(5)]
    );
    // Each old instance left with status 0: it finished its requests.
    let log = supervisor.log.all();
    let exits: Vec<_> = log.iter().filter(|l| l.contains("stopped (")).collect();
    assert!(
        exits.iter().all(|l| l.contains("exit status: 0")),
        "{exits:?}"
    );
    let status = supervisor.stop_with(libc::SIGTERM, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn an_upgrade_that_does_not_start_keeps_the_old_server() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("server");
    point(&link, &example_path("echo_server"));
    let mut supervisor = supervisor(&link);
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    converse(loopback, supervisor.addr, b"before\n").expect("served before");
    // A "new version" that exits at once without a listening line.
    point(&link, Path::new("/bin/false"));
    support::balancer::signal_pid(supervisor.pid(), libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(60), || supervisor
            .log
            .contains("upgrade failed")),
        "{:?}",
        supervisor.log.all()
    );
    converse(loopback, supervisor.addr, b"after\n").expect("still served");
    assert_eq!(stopped(&supervisor), 0);
    let status = supervisor.stop_with(libc::SIGTERM, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
}
