//! `ShutdownHandle`: prompt with a long poll interval, callable from handlers of both
//! iterative and threading servers without deadlock, and harmless when nothing serves.

mod support;

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socketserver::{Error, StreamRequest, TcpServer, ThreadingTcpServer};
use support::{connect, IO_TIMEOUT};

fn idle(_: &mut StreamRequest) -> std::io::Result<()> {
    Ok(())
}

#[test]
fn shutdown_wakes_the_loop_well_before_the_poll_interval() {
    let (served_tx, served_rx) = mpsc::channel();
    let served_tx = std::sync::Mutex::new(served_tx);
    let server = TcpServer::builder()
        .poll_interval(Duration::from_secs(60))
        .bind("127.0.0.1:0", move || {
            let served = served_tx.lock().unwrap().clone();
            move |_: &mut StreamRequest| {
                served.send(()).unwrap();
                Ok(())
            }
        })
        .unwrap();
    let handle = server.shutdown_handle();
    let addr = server.local_addr().unwrap();
    let serving = std::thread::spawn(move || server.serve_forever());
    // A served request proves the loop is running; it then goes back to its 60 s wait.
    let _client = connect(addr);
    served_rx.recv_timeout(IO_TIMEOUT).unwrap();
    let start = Instant::now();
    handle.shutdown();
    let took = start.elapsed();
    serving.join().unwrap().unwrap();
    // Python waits for the poll (here 60 s); the bound is generous for a loaded machine.
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
}

#[test]
fn shutdown_from_a_handler_of_the_iterative_server_does_not_deadlock() {
    let server = TcpServer::bind("127.0.0.1:0", || {
        |req: &mut StreamRequest| {
            req.server().shutdown_handle().shutdown();
            req.wfile.write_all(b"bye\n")
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = std::thread::spawn(move || server.serve_forever());
    let mut reply = String::new();
    std::io::BufReader::new(connect(addr))
        .read_line(&mut reply)
        .unwrap();
    assert_eq!(reply, "bye\n");
    serving.join().unwrap().unwrap();
}

#[test]
fn shutdown_from_a_handler_of_the_threading_server_does_not_deadlock() {
    let (done_tx, done_rx) = mpsc::channel();
    let done_tx = std::sync::Mutex::new(done_tx);
    let server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
        let done = done_tx.lock().unwrap().clone();
        move |req: &mut StreamRequest| {
            // Waits for serve_forever (on another thread) to return.
            req.server().shutdown_handle().shutdown();
            done.send(()).unwrap();
            Ok(())
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = std::thread::spawn(move || server.serve_forever());
    let _client = connect(addr);
    done_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("shutdown returned in the handler");
    serving.join().unwrap().unwrap();
}

#[test]
fn shutdown_when_not_serving_returns_and_the_next_serve_forever_ends_at_once() {
    let server = TcpServer::bind("127.0.0.1:0", || idle).unwrap();
    server.shutdown_handle().shutdown();
    server.serve_forever().unwrap();
    // The request was consumed: a later serve_forever serves until shut down again.
    let handle = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.serve_forever());
    handle.shutdown();
    serving.join().unwrap().unwrap();
}

#[test]
fn a_second_serve_forever_on_the_same_server_is_refused() {
    let (served_tx, served_rx) = mpsc::channel();
    let served_tx = std::sync::Mutex::new(served_tx);
    let server = std::sync::Arc::new(
        ThreadingTcpServer::bind("127.0.0.1:0", move || {
            let served = served_tx.lock().unwrap().clone();
            move |_: &mut StreamRequest| {
                served.send(()).unwrap();
                Ok(())
            }
        })
        .unwrap(),
    );
    let handle = server.shutdown_handle();
    let first = {
        let server = std::sync::Arc::clone(&server);
        std::thread::spawn(move || server.serve_forever())
    };
    // A served request proves the first loop holds the server.
    let _client = connect(server.local_addr().unwrap());
    served_rx.recv_timeout(IO_TIMEOUT).unwrap();
    assert!(matches!(server.serve_forever(), Err(Error::AlreadyServing)));
    assert!(matches!(
        server.handle_request(),
        Err(Error::AlreadyServing)
    ));
    handle.shutdown();
    first.join().unwrap().unwrap();
}
