//! Closing a pool server: with `block_on_close` it waits for queued and running requests;
//! without, it returns at once and the workers finish in the background.

mod support;

use std::io::{BufRead, Read, Write};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use socketserver::{PoolTcpServer, RequestHandler, StreamRequest};
use support::{connect_with_line, read_line, wait_until, Serving, IO_TIMEOUT};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }
    fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn has(&self, event: &str) -> bool {
        self.events().iter().any(|e| e == event)
    }
}

/// One worker; each request greets with the client's id and holds until the client leaves.
fn holding_pool(
    log: &Log,
    block_on_close: bool,
) -> PoolTcpServer<impl RequestHandler<StreamRequest>> {
    let log = log.clone();
    PoolTcpServer::builder()
        .max_workers(1)
        .block_on_close(block_on_close)
        .bind("127.0.0.1:0", move || {
            let log = log.clone();
            move |req: &mut StreamRequest| {
                let mut id = String::new();
                req.rfile.read_line(&mut id)?;
                let id = id.trim().to_owned();
                log.push(format!("start {id}"));
                writeln!(req.wfile, "hi {id}")?;
                req.rfile.read_to_end(&mut Vec::new())?;
                log.push(format!("end {id}"));
                Ok(())
            }
        })
        .unwrap()
}

#[test]
fn block_on_close_waits_for_queued_and_running_requests() {
    let log = Log::default();
    let server = Arc::new(holding_pool(&log, true));
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let running = connect_with_line(addr, "1");
    assert_eq!(read_line(&running), "hi 1\n");
    let queued = connect_with_line(addr, "2");
    assert!(wait_until(IO_TIMEOUT, || server.queued_requests() == 1));
    serving.stop().unwrap();

    let closer = {
        let log = log.clone();
        let server = Arc::into_inner(server).expect("the serving thread let go");
        thread::spawn(move || {
            server.server_close();
            log.push("closed");
        })
    };
    drop(running);
    assert_eq!(
        read_line(&queued),
        "hi 2\n",
        "a queued request is still served"
    );
    drop(queued);
    closer.join().unwrap();
    assert_eq!(
        log.events(),
        ["start 1", "end 1", "start 2", "end 2", "closed"]
    );
}

#[test]
fn without_block_on_close_closing_returns_at_once() {
    let log = Log::default();
    let server = holding_pool(&log, false);
    let addr = server.local_addr().unwrap();
    let (done, closed) = mpsc::channel();
    let handle = server.shutdown_handle();
    let serving = Serving::start(handle, move || {
        let served = server.serve_forever();
        server.server_close();
        done.send(()).unwrap();
        served
    });
    let running = connect_with_line(addr, "1");
    assert_eq!(read_line(&running), "hi 1\n");

    serving.stop().unwrap();
    closed
        .recv_timeout(IO_TIMEOUT)
        .expect("server_close returned");
    assert!(
        !log.has("end 1"),
        "closing did not wait for the running request"
    );

    drop(running);
    assert!(
        wait_until(IO_TIMEOUT, || log.has("end 1")),
        "the worker finished the request in the background"
    );
}

#[test]
fn closing_a_pool_that_never_served_returns() {
    // CPython's test_close_immediately, for the pool.
    let server = PoolTcpServer::bind("127.0.0.1:0", || |_: &mut StreamRequest| Ok(())).unwrap();
    server.server_close();
}
