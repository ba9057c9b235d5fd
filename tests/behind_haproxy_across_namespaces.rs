//! `behind_haproxy` across hosts: the clients, HAProxy and each of three
//! `echo_server --proxy-protocol` instances live in network namespaces the test makes,
//! joined by veth pairs with addresses of the test's own (10.200.0.0/24 between the
//! clients and the balancer, 10.200.N.0/24 between the balancer and instance N), so
//! every connection crosses real interfaces and each instance trusts only its balancer's
//! address. Every request is answered byte-exact, every instance serves, each sees the
//! clients' own addresses (10.200.0.3 and 10.200.0.4); a killed instance fails nothing
//! once HAProxy has marked it down; one stopped with SIGTERM fails nothing. The
//! namespaces are deleted at the end, failed or not. Where namespaces cannot be made
//! (no privilege) the test says SKIPPED, except on CI, where it fails.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::balancer::{
    connect_from, haproxy_args, haproxy_config, haproxy_status, Balancer, Instance, Load, Outcome,
};
use support::{wait_until, IO_TIMEOUT};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// The clients' addresses, in the clients' namespace.
fn sources() -> [IpAddr; 2] {
    ["10.200.0.3".parse().unwrap(), "10.200.0.4".parse().unwrap()]
}

/// Where HAProxy listens, in its namespace.
fn front() -> IpAddr {
    "10.200.0.1".parse().unwrap()
}

/// `ip`, which Debian keeps in sbin (not always on a test's PATH).
fn ip_program() -> Option<String> {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|path| Path::new(path).exists())
        .map(str::to_owned)
        .or_else(|| support::programs::find_program("ip").map(|p| p.display().to_string()))
}

fn ip(args: &[&str]) -> Result<(), String> {
    let program = ip_program().ok_or("ip not found")?;
    let output = Command::new(&program)
        .args(args)
        .output()
        .map_err(|err| format!("{program}: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The test's namespaces: `clients`, `lb` and one per instance; deleted on drop (which
/// also removes their veth pairs), whatever happened.
struct Namespaces {
    clients: String,
    lb: String,
    instances: Vec<String>,
}

impl Namespaces {
    /// Makes the namespaces and wires them; `Err` says why that is impossible here.
    fn make(count: usize) -> Result<Self, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let tag = format!(
            "ss-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // Made one by one into `ns`: if one fails, `Drop` deletes those that exist.
        let mut ns = Namespaces {
            clients: String::new(),
            lb: String::new(),
            instances: Vec::new(),
        };
        let clients = format!("{tag}-c");
        ip(&["netns", "add", &clients])?;
        ns.clients = clients;
        let lb = format!("{tag}-lb");
        ip(&["netns", "add", &lb])?;
        ns.lb = lb;
        for n in 1..=count {
            let instance = format!("{tag}-i{n}");
            ip(&["netns", "add", &instance])?;
            ns.instances.push(instance);
        }
        let lb = ns.lb.as_str();
        for each in [&ns.clients, &ns.lb].into_iter().chain(&ns.instances) {
            ip(&["-n", each, "link", "set", "lo", "up"])?;
        }
        // Clients <-> balancer: c0 in lb, lb0 in clients.
        ip(&[
            "-n",
            lb,
            "link",
            "add",
            "c0",
            "type",
            "veth",
            "peer",
            "name",
            "lb0",
            "netns",
            &ns.clients,
        ])?;
        ip(&["-n", lb, "addr", "add", "10.200.0.1/24", "dev", "c0"])?;
        ip(&["-n", lb, "link", "set", "c0", "up"])?;
        for addr in ["10.200.0.2/24", "10.200.0.3/24", "10.200.0.4/24"] {
            ip(&["-n", &ns.clients, "addr", "add", addr, "dev", "lb0"])?;
        }
        ip(&["-n", &ns.clients, "link", "set", "lb0", "up"])?;
        // Balancer <-> instance N: iN in lb, lb0 in the instance's.
        for (n, instance) in ns.instances.iter().enumerate() {
            let n = n + 1;
            let link = format!("i{n}");
            ip(&[
                "-n", lb, "link", "add", &link, "type", "veth", "peer", "name", "lb0", "netns",
                instance,
            ])?;
            ip(&[
                "-n",
                lb,
                "addr",
                "add",
                &format!("10.200.{n}.1/24"),
                "dev",
                &link,
            ])?;
            ip(&["-n", lb, "link", "set", &link, "up"])?;
            ip(&[
                "-n",
                instance,
                "addr",
                "add",
                &format!("10.200.{n}.2/24"),
                "dev",
                "lb0",
            ])?;
            ip(&["-n", instance, "link", "set", "lb0", "up"])?;
        }
        Ok(ns)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in [&self.clients, &self.lb]
            .into_iter()
            .chain(&self.instances)
            .filter(|ns| !ns.is_empty())
        {
            if let Err(err) = ip(&["netns", "del", ns]) {
                eprintln!("cleanup: {err}");
            }
        }
    }
}

/// Moves the calling thread into namespace `name` (only this thread: sockets it makes
/// from now on live there).
fn enter(name: &str) {
    let file = std::fs::File::open(format!("/run/netns/{name}")).expect("open the namespace");
    // SAFETY: setns on a valid descriptor of a network namespace changes only this
    // thread's namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns {name}: {}", std::io::Error::last_os_error());
}

/// Whether a connection from the clients' namespace to `addr` works now.
fn accepts_from(clients: String, addr: SocketAddr) -> bool {
    std::thread::spawn(move || {
        enter(&clients);
        connect_from("10.200.0.2".parse().unwrap(), addr).is_ok()
    })
    .join()
    .unwrap_or(false)
}

/// The namespaces, three instances and HAProxy, every instance UP; `None` (SKIPPED)
/// where namespaces cannot be made.
fn cluster() -> Option<(Namespaces, Vec<Instance>, Balancer)> {
    if !Path::new(HAPROXY).exists() && !support::programs::require("haproxy") {
        return None;
    }
    if ip_program().is_none() {
        support::skip("ip (iproute2) not found");
        return None;
    }
    let ns = match Namespaces::make(3) {
        Ok(ns) => ns,
        Err(err) => {
            support::skip(&format!("cannot make network namespaces: {err}"));
            return None;
        }
    };
    let ip = ip_program().unwrap();
    let instances: Vec<Instance> = ns
        .instances
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let n = n + 1;
            let own = format!("10.200.{n}.2");
            let balancer = format!("10.200.{n}.1");
            Instance::start(
                &[&ip, "netns", "exec", name],
                "echo_server",
                &[
                    "-i",
                    &own,
                    "-p",
                    "0",
                    "--proxy-protocol",
                    "--proxy-trusted",
                    &balancer,
                ],
            )
        })
        .collect();
    let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
    let program = if Path::new(HAPROXY).exists() {
        HAPROXY
    } else {
        "haproxy"
    };
    let clients = ns.clients.clone();
    let balancer = Balancer::start(
        &[&ip, "netns", "exec", &ns.lb],
        program,
        front(),
        |dir, port| haproxy_config(dir, SocketAddr::new(front(), port), &addrs),
        haproxy_args,
        move |addr| accepts_from(clients.clone(), addr),
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
    Some((ns, instances, balancer))
}

fn load(ns: &Namespaces, balancer: &Balancer) -> Load {
    let clients = ns.clients.clone();
    Load::start(balancer.addr, &sources(), 2, move || enter(&clients))
}

fn failures(outcomes: &[Outcome]) -> Vec<&Outcome> {
    outcomes.iter().filter(|o| o.failure.is_some()).collect()
}

#[test]
fn three_instances_on_other_hosts_answer_every_request_and_see_the_real_clients() {
    // The namespaces outlive nothing: `ip netns del` only unnames one, and the processes
    // in it are killed by pid as they drop.
    let Some((ns, instances, balancer)) = cluster() else {
        return;
    };
    let load = load(&ns, &balancer);
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    assert_eq!(failures(&outcomes).len(), 0, "{:?}", failures(&outcomes));
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
            "instance {}: {:?}",
            instance.addr,
            instance.log.all()
        );
    }
}

#[test]
fn a_killed_instance_on_another_host_fails_nothing_once_down() {
    let Some((ns, mut instances, balancer)) = cluster() else {
        return;
    };
    let stats = balancer.dir.path().join("stats.sock");
    let load = load(&ns, &balancer);
    load.wait_for(200, Duration::from_secs(60));
    instances[2].stop_with(libc::SIGKILL, Duration::from_secs(5));
    assert!(
        wait_until(IO_TIMEOUT, || haproxy_status(&stats, "instances", "s3")
            .is_some_and(|status| status.starts_with("DOWN"))),
        "s3 never DOWN: {:?}",
        haproxy_status(&stats, "instances", "s3")
    );
    let down_at = std::time::Instant::now();
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    let after: Vec<_> = outcomes.iter().filter(|o| o.started >= down_at).collect();
    assert!(after.len() >= 250, "{} after DOWN", after.len());
    let failed: Vec<_> = after.iter().filter(|o| o.failure.is_some()).collect();
    assert!(failed.is_empty(), "failed once s3 was DOWN: {failed:?}");
}

#[test]
fn an_instance_on_another_host_stopped_with_sigterm_fails_nothing() {
    let Some((ns, mut instances, balancer)) = cluster() else {
        return;
    };
    let load = load(&ns, &balancer);
    load.wait_for(200, Duration::from_secs(60));
    let status = instances[1].stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
    load.wait_for(300, Duration::from_secs(60));
    let outcomes = load.stop();
    assert_eq!(failures(&outcomes).len(), 0, "{:?}", failures(&outcomes));
}
