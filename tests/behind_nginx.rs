//! nginx's stream proxy in front of three `echo_server --proxy-protocol` instances, on
//! loopback, with a configuration of the test's own (`proxy_protocol on`: v1 headers):
//! every request is answered byte-exact, every instance serves, and each instance logs
//! the real client's address (clients connect from 127.0.0.2 and 127.0.0.3). nginx (open
//! source) has no active health checks: a refused connection is passed to the next
//! instance (`proxy_next_upstream`), so an instance killed under load costs only the
//! conversations in flight on it (none started after it is gone fails), and one stopped
//! with SIGTERM costs none. The shipped `deploy/nginx-stream.conf` is valid.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::balancer::{
    accepts, converse, crate_dir, failures, nginx_args, nginx_config,
    sigterm_costs_no_conversation, sources, Balancer, Instance, Load,
};
use support::programs::require;

const NGINX: &str = "/usr/sbin/nginx";
const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";

/// nginx with its stream module (Debian: `libnginx-mod-stream`).
fn have_nginx() -> bool {
    if !Path::new(NGINX).exists() && !require("nginx") {
        return false;
    }
    if !Path::new(STREAM_MODULE).exists() {
        support::skip(&format!(
            "{STREAM_MODULE} missing (apt-get install libnginx-mod-stream)"
        ));
        return false;
    }
    true
}

fn nginx_program() -> String {
    if Path::new(NGINX).exists() {
        NGINX.into()
    } else {
        "nginx".into()
    }
}

fn cluster() -> (Vec<Instance>, Balancer) {
    let instances: Vec<Instance> = (0..3)
        .map(|_| Instance::start(&[], "echo_server", &["-p", "0", "--proxy-protocol"]))
        .collect();
    let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let balancer = Balancer::start(
        &[],
        &nginx_program(),
        loopback,
        |dir, port| nginx_config(dir, SocketAddr::new(loopback, port), &addrs),
        nginx_args,
        accepts,
    );
    (instances, balancer)
}

#[test]
fn three_instances_answer_every_request_and_see_the_real_clients() {
    if !have_nginx() {
        return;
    }
    let (instances, balancer) = cluster();
    let load = Load::start(balancer.addr, &sources(), 2, || {});
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    assert_eq!(failures(&outcomes).len(), 0, "{:?}", failures(&outcomes));

    let mut big: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    big.push(b'\n');
    converse(sources()[0], balancer.addr, &big).expect("a 1 MiB line");

    // nginx's own address (127.0.0.1) is never the client, the v1 header names it: the
    // one conversation from 127.0.0.1 is the test's own probe for nginx being ready.
    let others: Vec<SocketAddr> = instances
        .iter()
        .flat_map(Instance::clients)
        .filter(|client| !sources().contains(&client.ip()))
        .collect();
    assert!(
        others.len() <= 1 && others.iter().all(|c| c.ip().is_loopback()),
        "{others:?}"
    );
    for instance in &instances {
        let clients = instance.clients();
        for source in sources() {
            assert!(
                clients.iter().any(|client| client.ip() == source),
                "instance {} never saw {source}: {clients:?}",
                instance.addr
            );
        }
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
    if !have_nginx() {
        return;
    }
    let (mut instances, balancer) = cluster();
    let load = Load::start(balancer.addr, &sources(), 2, || {});
    load.wait_for(200, Duration::from_secs(60));
    instances[1].stop_with(libc::SIGKILL, Duration::from_secs(5));
    // Reaped: the process and its sockets are gone. Whatever starts now is refused by it
    // and passed on by nginx.
    let gone_at = Instant::now();
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    let after: Vec<_> = outcomes.iter().filter(|o| o.started >= gone_at).collect();
    assert!(after.len() >= 250, "{} after the kill", after.len());
    let failed: Vec<_> = after.iter().filter(|o| o.failure.is_some()).collect();
    assert!(failed.is_empty(), "failed after the kill: {failed:?}");
    eprintln!(
        "killed instance: {} conversations in flight failed",
        failures(&outcomes).len()
    );
    for instance in [&instances[0], &instances[2]] {
        assert!(!instance.clients().is_empty());
    }
}

#[test]
fn an_instance_stopped_with_sigterm_costs_no_conversation() {
    if !have_nginx() {
        return;
    }
    let (mut instances, balancer) = cluster();
    sigterm_costs_no_conversation(&mut instances, balancer.addr);
}

#[test]
fn the_shipped_configuration_is_valid() {
    if !have_nginx() {
        return;
    }
    let config = crate_dir().join("deploy/nginx-stream.conf");
    let prefix = tempfile::tempdir().unwrap();
    let output = Command::new(nginx_program())
        .args(["-t", "-e", "stderr", "-p"])
        .arg(prefix.path())
        .arg("-c")
        .arg(&config)
        .output()
        .expect("run nginx -t");
    assert!(
        output.status.success(),
        "{}: {}",
        config.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
