//! The PROXY protocol on the forking server: the child reads the header, so a stalled
//! balancer connection holds up nobody; the handler and `verify_request` see the header's
//! client.
//!
//! This binary forks: it runs with `harness = false` (see `support::fork`).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use socketserver::proxy::ProxyProtocol;
use socketserver::{ForkingTcpServer, StreamRequest};
use support::fork::zombies;
use support::proxy::v1;
use support::{connect, Serving};

fn main() {
    support::fork::capture_logs();
    support::fork::run(&[(
        "the_child_reads_the_header_and_a_stalled_one_holds_up_nobody",
        the_child_reads_the_header_and_a_stalled_one_holds_up_nobody,
    )]);
}

type Who = fn(&mut StreamRequest) -> std::io::Result<()>;

fn who(req: &mut StreamRequest) -> std::io::Result<()> {
    let mut line = String::new();
    req.rfile.read_line(&mut line)?;
    writeln!(
        req.wfile,
        "{} {} {}",
        std::process::id(),
        req.client_address,
        line.trim()
    )
}

fn the_child_reads_the_header_and_a_stalled_one_holds_up_nobody() {
    let server = Arc::new(
        ForkingTcpServer::builder()
            .proxy_protocol(ProxyProtocol::new().header_timeout(Duration::from_millis(300)))
            .bind("127.0.0.1:0", || who as Who)
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let stalled = connect(addr);
    let mut balancer = connect(addr);
    balancer
        .write_all(&v1("203.0.113.5:6000".parse().unwrap(), addr))
        .unwrap();
    balancer.write_all(b"hi\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&balancer).read_line(&mut reply).unwrap();
    let mut words = reply.split_whitespace();
    let pid: u32 = words.next().unwrap().parse().unwrap();
    assert_ne!(pid, std::process::id(), "served by a child");
    assert_eq!(words.collect::<Vec<_>>(), ["203.0.113.5:6000", "hi"]);
    let mut rest = Vec::new();
    let _ = (&stalled).read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "the stalled connection is closed without a reply"
    );
    serving.stop().unwrap();
    Arc::into_inner(server).unwrap().close_gracefully();
    assert!(zombies().is_empty());
}
