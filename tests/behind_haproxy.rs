//! HAProxy in front of three `echo_server --proxy-protocol` instances, on loopback, with
//! a configuration of the test's own (TCP mode, `send-proxy-v2`, health checks that send
//! a v2 `LOCAL` header): every request is answered byte-exact, every instance serves,
//! and each instance logs the real client's address (clients connect from 127.0.0.2 and
//! 127.0.0.3; HAProxy itself is 127.0.0.1). An instance killed under load costs only the
//! conversations in flight on it: none fails once the health check has marked it down; an
//! instance stopped with SIGTERM costs none. The shipped `deploy/haproxy.cfg` is valid.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::balancer::{
    accepts, converse, crate_dir, failures, haproxy_args, haproxy_config, haproxy_status,
    sigterm_costs_no_conversation, sources, Balancer, Instance, Load,
};
use support::programs::require;
use support::{wait_until, IO_TIMEOUT};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// haproxy, where Debian puts it.
fn have_haproxy() -> bool {
    // The test runs it from /usr/sbin, where Debian puts it; `require` looks on PATH.
    Path::new(HAPROXY).exists() || require("haproxy")
}

fn haproxy_program() -> String {
    if Path::new(HAPROXY).exists() {
        HAPROXY.into()
    } else {
        "haproxy".into()
    }
}

/// Three instances and HAProxy in front of them, every instance up in HAProxy's checks.
fn cluster() -> (Vec<Instance>, Balancer) {
    let instances: Vec<Instance> = (0..3)
        .map(|_| Instance::start(&[], "echo_server", &["-p", "0", "--proxy-protocol"]))
        .collect();
    let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let balancer = Balancer::start(
        &[],
        &haproxy_program(),
        loopback,
        |dir, port| haproxy_config(dir, SocketAddr::new(loopback, port), &addrs),
        haproxy_args,
        accepts,
    );
    let stats = balancer.dir.path().join("stats.sock");
    for n in 1..=3 {
        let server = format!("s{n}");
        assert!(
            wait_until(IO_TIMEOUT, || haproxy_status(&stats, "instances", &server)
                .is_some_and(|status| status == "UP")),
            "{server} never UP: {:?}",
            haproxy_status(&stats, "instances", &server)
        );
    }
    (instances, balancer)
}

#[test]
fn three_instances_answer_every_request_and_see_the_real_clients() {
    if !have_haproxy() {
        return;
    }
    let (instances, balancer) = cluster();
    let load = Load::start(balancer.addr, &sources(), 2, || {});
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    assert_eq!(failures(&outcomes).len(), 0, "{:?}", failures(&outcomes));

    // A line of 1 MiB comes back whole through the balancer too.
    let mut big: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    big.push(b'\n');
    converse(sources()[0], balancer.addr, &big).expect("a 1 MiB line");

    for instance in &instances {
        let clients = instance.clients();
        for source in sources() {
            assert!(
                clients.iter().any(|client| client.ip() == source),
                "instance {} never saw {source}: {clients:?}",
                instance.addr
            );
        }
        // Health checks (v2 LOCAL) and conversations alike leave no error.
        assert!(
            !instance.log.contains(" ERROR "),
            "instance {} logged an error: {:?}",
            instance.addr,
            instance.log.all()
        );
    }
}

#[test]
fn a_killed_instance_costs_only_the_conversations_in_flight_on_it() {
    if !have_haproxy() {
        return;
    }
    let (mut instances, balancer) = cluster();
    let stats = balancer.dir.path().join("stats.sock");
    let load = Load::start(balancer.addr, &sources(), 2, || {});
    load.wait_for(200, Duration::from_secs(60));

    let killed_at = Instant::now();
    instances[1].stop_with(libc::SIGKILL, Duration::from_secs(5));
    assert!(
        wait_until(IO_TIMEOUT, || haproxy_status(&stats, "instances", "s2")
            .is_some_and(|status| status.starts_with("DOWN"))),
        "s2 never marked DOWN: {:?}",
        haproxy_status(&stats, "instances", "s2")
    );
    let down_at = Instant::now();
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();

    let after_down: Vec<_> = outcomes.iter().filter(|o| o.started >= down_at).collect();
    assert!(after_down.len() >= 250, "{} after DOWN", after_down.len());
    let failed: Vec<_> = after_down.iter().filter(|o| o.failure.is_some()).collect();
    assert!(failed.is_empty(), "failed once s2 was DOWN: {failed:?}");
    let before_kill = failures(&outcomes)
        .into_iter()
        .filter(|o| o.started < killed_at)
        .count();
    eprintln!(
        "killed instance: {before_kill} conversations in flight failed, {} between kill and DOWN",
        failures(&outcomes).len() - before_kill
    );
    // The other two go on serving.
    for instance in [&instances[0], &instances[2]] {
        assert!(!instance.clients().is_empty());
    }
}

#[test]
fn an_instance_stopped_with_sigterm_costs_no_conversation() {
    if !have_haproxy() {
        return;
    }
    let (mut instances, balancer) = cluster();
    sigterm_costs_no_conversation(&mut instances, balancer.addr);
}

#[test]
fn the_shipped_configuration_is_valid() {
    if !have_haproxy() {
        return;
    }
    let config = crate_dir().join("deploy/haproxy.cfg");
    let output = Command::new(haproxy_program())
        .args(["-c", "-f"])
        .arg(&config)
        .output()
        .expect("run haproxy -c");
    assert!(
        output.status.success(),
        "{}: {}",
        config.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
