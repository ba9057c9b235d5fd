//! 500 short connections from 10 concurrent clients through a 4-worker pool: every one
//! is served, none lost while the queue fills and drains.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use socketserver::{PoolTcpServer, StreamRequest};
use std::io::{BufRead, Write};
use support::{connect, round_trip, Serving};

const CLIENTS: usize = 10;
const CONNECTIONS_EACH: usize = 50;

#[test]
fn five_hundred_short_connections_through_four_workers_are_all_served() {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let server = PoolTcpServer::builder()
        .max_workers(4)
        .max_queued(8)
        .bind("127.0.0.1:0", move || {
            let counter = Arc::clone(&counter);
            move |req: &mut StreamRequest| {
                let mut line = String::new();
                req.rfile.read_line(&mut line)?;
                req.wfile.write_all(line.as_bytes())?;
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .unwrap();
    let server = Arc::new(server);
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };

    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            thread::spawn(move || {
                for i in 0..CONNECTIONS_EACH {
                    let line = format!("client {c} connection {i}\n");
                    assert_eq!(round_trip(&mut connect(addr), &line), line);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }

    serving.stop().unwrap();
    let server = Arc::into_inner(server).expect("the serving thread let go");
    server.server_close(); // block_on_close: every accepted request has finished
    assert_eq!(served.load(Ordering::SeqCst), CLIENTS * CONNECTIONS_EACH);
}
