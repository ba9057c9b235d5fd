//! Clients that reset their connections (RST, via `SO_LINGER` 0) while the server still
//! has output queued for them are cleaned up: the connection count and the queued bytes
//! return to 0, the loop keeps serving, and it does not spin while idle afterwards.
//!
//! One test in this binary: it measures the CPU time of the whole process.

mod support;

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use socket2::SockRef;
use socketserver::event::{Context, EventLoopTcpServer};
use support::{connect, stream_examine, wait_until, Hooks, Serving, IO_TIMEOUT};

const CLIENTS: usize = 50;

/// User plus system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct passed.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// Writes until the socket would block.
fn fill(stream: &mut TcpStream) {
    let chunk = [b'x'; 16 * 1024];
    loop {
        match stream.write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("write: {e}"),
        }
    }
}

#[test]
fn reset_connections_are_cleaned_up_and_the_idle_loop_does_not_spin() {
    let server = Arc::new(
        EventLoopTcpServer::builder()
            .output_limit(64 * 1024)
            .bind(
                "127.0.0.1:0",
                Hooks::new(|| {
                    |ctx: &mut Context<'_>, data: &[u8]| {
                        ctx.send(data);
                        Ok(())
                    }
                })
                .on_error(|_, _| {}), // resets are expected here
            )
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };

    // Every client sends without reading until the server, unable to write its echo,
    // stops reading from it: each connection now has output queued mid-write.
    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(addr)).collect();
    for client in &clients {
        client.set_nonblocking(true).unwrap();
    }
    assert!(wait_until(IO_TIMEOUT, || {
        clients.iter_mut().for_each(fill);
        server.stats().paused_connections == CLIENTS
    }));
    assert!(server.stats().queued_output > 0);

    for client in clients {
        SockRef::from(&client)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(client); // RST, with data unread on both sides
    }
    assert!(
        wait_until(IO_TIMEOUT, || server.open_connections() == 0),
        "{:?}",
        server.stats()
    );
    let stats = server.stats();
    assert_eq!(stats.queued_output, 0, "{stats:?}");
    assert_eq!(stats.paused_connections, 0, "{stats:?}");
    stream_examine(addr); // still serving

    // Idle now: the serving thread must sleep in the kernel. A busy loop would use about
    // the whole measured second; allow a tenth of it.
    let idle = Duration::from_secs(1);
    let start = cpu_time();
    std::thread::sleep(idle); // a measurement window, not synchronisation
    let used = cpu_time() - start;
    assert!(
        used < idle / 10,
        "the idle loop used {used:?} of CPU in {idle:?}"
    );

    serving.stop().unwrap();
}
