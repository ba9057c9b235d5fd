//! A pool UDP server serves datagrams on its workers: no thread per datagram.

mod support;

use std::collections::HashSet;
use std::thread;

use socketserver::{DatagramRequest, PoolUdpServer};
use support::{udp_client, Serving};

const WORKERS: usize = 2;
const DATAGRAMS: usize = 20;

#[test]
fn datagrams_are_served_by_the_pool_workers() {
    let server = PoolUdpServer::builder()
        .max_workers(WORKERS)
        .bind("127.0.0.1:0", || {
            |req: &mut DatagramRequest| {
                let me = thread::current();
                req.wfile = format!("{} {:?}", me.name().unwrap_or("?"), me.id()).into_bytes();
                Ok(())
            }
        })
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());

    let client = udp_client();
    let mut threads = HashSet::new();
    let mut buf = [0; 128];
    for i in 0..DATAGRAMS {
        client.send_to(format!("{i}").as_bytes(), addr).unwrap();
        let n = client.recv(&mut buf).expect("reply");
        let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
        let (name, id) = reply.split_once(' ').unwrap();
        assert_eq!(name, "socketserver-pool");
        threads.insert(id.to_owned());
    }
    assert!(
        threads.len() <= WORKERS,
        "{DATAGRAMS} datagrams ran on {} threads",
        threads.len()
    );
    serving.stop().unwrap();
}
