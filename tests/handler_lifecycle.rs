//! The handler protocol: setup/handle/finish order, `finish` after a failure, panics caught
//! and reported while the server keeps serving, and shared state through the factory.

mod support;

use std::io::{self, BufRead, Write};
use std::sync::{mpsc, Arc, Mutex};

use socketserver::{Error, StreamHandler, StreamRequest, TcpServer, ThreadingTcpServer};
use support::{connect, round_trip, Hooks, Serving, IO_TIMEOUT};

type Log = Arc<Mutex<Vec<&'static str>>>;

struct Recorder {
    log: Log,
    fail_setup: bool,
    fail_handle: bool,
}

impl StreamHandler for Recorder {
    fn setup(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        self.log.lock().unwrap().push("setup");
        if self.fail_setup {
            return Err(io::Error::other("setup failed"));
        }
        Ok(())
    }

    fn handle(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        self.log.lock().unwrap().push("handle");
        if self.fail_handle {
            panic!("handler bug");
        }
        Ok(())
    }

    fn finish(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        self.log.lock().unwrap().push("finish");
        Ok(())
    }
}

fn run_one(fail_setup: bool, fail_handle: bool) -> (Vec<&'static str>, Vec<String>) {
    let log = Log::default();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let (factory_log, error_sink) = (Arc::clone(&log), Arc::clone(&errors));
    let factory = Hooks::new(move || Recorder {
        log: Arc::clone(&factory_log),
        fail_setup,
        fail_handle,
    })
    .on_error(move |_, err| error_sink.lock().unwrap().push(err.to_string()));
    let server = TcpServer::bind("127.0.0.1:0", factory).unwrap();
    let _client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    let log = log.lock().unwrap().clone();
    let errors = errors.lock().unwrap().clone();
    (log, errors)
}

#[test]
fn setup_handle_finish_run_in_order() {
    assert_eq!(
        run_one(false, false),
        (vec!["setup", "handle", "finish"], vec![])
    );
}

#[test]
fn finish_runs_after_handle_panics_and_the_panic_is_reported() {
    let (log, errors) = run_one(false, true);
    assert_eq!(log, ["setup", "handle", "finish"]);
    assert_eq!(errors, ["handler panicked: handler bug"]);
}

#[test]
fn failed_setup_skips_handle_and_finish() {
    let (log, errors) = run_one(true, false);
    assert_eq!(log, ["setup"]);
    assert_eq!(errors, ["setup failed"]);
}

/// A handler that panics on `boom` and echoes anything else.
fn fragile(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = String::new();
    req.rfile.read_line(&mut line)?;
    if line == "boom\n" {
        panic!("boom");
    }
    req.wfile.write_all(line.as_bytes())
}

#[test]
fn a_panicking_handler_does_not_stop_the_iterative_server() {
    let (tx, rx) = mpsc::channel();
    let factory = Hooks::new(|| fragile).on_error(move |_, err| {
        tx.send(matches!(err, Error::HandlerPanicked(_))).unwrap();
    });
    let server = TcpServer::bind("127.0.0.1:0", factory).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let mut bad = connect(addr);
    bad.write_all(b"boom\n").unwrap();
    assert!(
        rx.recv_timeout(IO_TIMEOUT).unwrap(),
        "panic reported to handle_error"
    );
    for _ in 0..3 {
        let mut good = connect(addr);
        assert_eq!(round_trip(&mut good, "still here\n"), "still here\n");
    }
    serving.stop().unwrap();
}

#[test]
fn panicking_handlers_do_not_stop_the_threading_server() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let factory = Hooks::new(|| fragile).on_error(move |_, err| {
        let panicked = matches!(err, Error::HandlerPanicked(_));
        tx.lock().unwrap().send(panicked).unwrap();
    });
    let server = ThreadingTcpServer::bind("127.0.0.1:0", factory).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    for _ in 0..5 {
        connect(addr).write_all(b"boom\n").unwrap();
    }
    for _ in 0..5 {
        assert!(rx.recv_timeout(IO_TIMEOUT).unwrap());
    }
    let mut good = connect(addr);
    assert_eq!(round_trip(&mut good, "alive\n"), "alive\n");
    serving.stop().unwrap();
}

#[test]
fn a_panicking_factory_is_reported_too() {
    let (tx, rx) = mpsc::channel();
    let factory =
        Hooks::new(|| -> fn(&mut StreamRequest) -> io::Result<()> { panic!("no handler today") })
            .on_error(move |_, err| tx.send(err.to_string()).unwrap());
    let server = TcpServer::bind("127.0.0.1:0", factory).unwrap();
    let _client = connect(server.local_addr().unwrap());
    assert!(server.handle_request().unwrap());
    assert_eq!(rx.try_recv().unwrap(), "handler panicked: no handler today");
}

/// The chat server's client list: state shared by every handler through the factory.
#[test]
fn handlers_share_state_through_the_factory() {
    let greeted = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&greeted);
    let server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
        let greeted = Arc::clone(&shared);
        move |req: &mut StreamRequest| {
            let mut name = String::new();
            req.rfile.read_line(&mut name)?;
            let mut list = greeted.lock().unwrap();
            list.push(name.trim().to_owned());
            writeln!(req.wfile, "{}", list.len())
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let mut replies: Vec<String> = ["ann", "bob", "cy"]
        .iter()
        .map(|name| round_trip(&mut connect(addr), &format!("{name}\n")))
        .collect();
    replies.sort();
    assert_eq!(replies, ["1\n", "2\n", "3\n"]);
    serving.stop().unwrap();
    assert_eq!(greeted.lock().unwrap().len(), 3);
}
