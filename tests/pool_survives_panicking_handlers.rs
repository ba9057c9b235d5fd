//! A panicking handler is reported through `handle_error` and its worker keeps serving:
//! after more panics than workers, the pool still serves `max_workers` clients at once.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use socketserver::{Error, PoolTcpServer, StreamRequest};
use support::{connect, wait_until, Hooks, Serving, IO_TIMEOUT};

const WORKERS: usize = 2;

#[test]
fn panics_leave_the_pool_at_full_strength() {
    let panics = Arc::new(AtomicUsize::new(0));
    let reported = Arc::clone(&panics);
    let factory = Hooks::new(|| {
        |req: &mut StreamRequest| {
            let mut line = String::new();
            req.rfile.read_line(&mut line)?;
            if line == "panic\n" {
                panic!("boom");
            }
            req.wfile.write_all(b"hi\n")?;
            req.rfile.read_to_end(&mut Vec::new())?;
            Ok(())
        }
    })
    .on_error(move |_, err| {
        if matches!(err, Error::HandlerPanicked(msg) if msg == "boom") {
            reported.fetch_add(1, Ordering::SeqCst);
        }
    });
    let server = PoolTcpServer::builder()
        .max_workers(WORKERS)
        .max_queued(0)
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());

    for _ in 0..3 * WORKERS {
        let mut client = connect(addr);
        client.write_all(b"panic\n").unwrap();
        let mut rest = Vec::new();
        client
            .read_to_end(&mut rest)
            .expect("the connection is closed, not left hanging");
        assert!(rest.is_empty());
    }
    assert!(wait_until(IO_TIMEOUT, || panics.load(Ordering::SeqCst) == 3 * WORKERS));

    // Every worker is still there: WORKERS clients are served at the same time.
    let clients: Vec<_> = (0..WORKERS)
        .map(|_| {
            let mut client = connect(addr);
            client.write_all(b"hello\n").unwrap();
            client
        })
        .collect();
    for client in &clients {
        let mut line = String::new();
        BufReader::new(client).read_line(&mut line).unwrap();
        assert_eq!(line, "hi\n");
    }
    drop(clients);
    serving.stop().unwrap();
}
