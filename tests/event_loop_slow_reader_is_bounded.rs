//! Backpressure: a client that sends fast and reads slowly makes the server stop reading
//! from it, so its queued output stays within the output limit however much it sends;
//! the other clients go on being served; and once it reads, its echo resumes, complete.

mod support;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use socketserver::event::{Context, EventLoopTcpServer};
use support::{connect, round_trip, wait_until, Serving, IO_TIMEOUT};

const LIMIT: usize = 64 * 1024;

fn pattern(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len).map(|n| (n % 251) as u8).collect()
}

/// Writes the pattern until the socket would block; returns the bytes written.
fn fill(stream: &mut TcpStream, sent: usize) -> usize {
    let mut total = 0;
    loop {
        match stream.write(&pattern(sent + total, 16 * 1024)) {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("write: {e}"),
        }
    }
}

#[test]
fn a_slow_reader_is_held_to_the_output_limit_and_stalls_nobody() {
    let server = Arc::new(
        EventLoopTcpServer::builder()
            .output_limit(LIMIT)
            .bind("127.0.0.1:0", || {
                |ctx: &mut Context<'_>, data: &[u8]| {
                    ctx.send(data);
                    Ok(())
                }
            })
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };

    // Send without reading until the server has stopped reading from us. The kernel's
    // buffers take a few megabytes first; 512 MiB bounds a server that never pauses.
    let mut slow = connect(addr);
    slow.set_nonblocking(true).unwrap();
    let mut sent = 0;
    assert!(wait_until(IO_TIMEOUT, || {
        sent += fill(&mut slow, sent);
        assert!(sent < 512 << 20, "the server never paused");
        server.stats().paused_connections == 1
    }));
    // More sending cannot grow the server's queue: the kernel's buffers are full.
    sent += fill(&mut slow, sent);
    let stats = server.stats();
    assert!(stats.queued_output <= LIMIT, "{stats:?}");
    assert!(stats.peak_queued_output <= LIMIT, "{stats:?}");

    // Everyone else is served meanwhile.
    let mut others: Vec<_> = (0..5).map(|_| connect(addr)).collect();
    for (i, other) in others.iter_mut().enumerate() {
        let line = format!("still served {i}\n");
        assert_eq!(round_trip(other, &line), line);
    }

    // Reading resumes the echo: everything sent comes back, in order.
    slow.set_nonblocking(false).unwrap();
    let mut got = vec![0; sent];
    slow.read_exact(&mut got).unwrap();
    assert!(got == pattern(0, sent), "echo differs from what was sent");
    let stats = server.stats();
    assert!(stats.peak_queued_output <= LIMIT, "{stats:?}");
    assert_eq!(stats.paused_connections, 0, "{stats:?}");
    serving.stop().unwrap();
}
