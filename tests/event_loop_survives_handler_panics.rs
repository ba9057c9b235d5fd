//! A handler's panic or error, in any callback or in the factory, is reported through
//! `handle_error` and closes that connection only; the server goes on serving.

mod support;

use std::io::{self};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::Error;
use support::{closed_by_server, connect, round_trip, wait_until, Hooks, Serving, IO_TIMEOUT};

/// Echoes, but panics or fails on request.
struct Fragile;

impl EventHandler for Fragile {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        match line {
            b"panic\n" => panic!("boom in on_line"),
            b"error\n" => Err(io::Error::other("bad request")),
            _ => {
                ctx.send(line);
                Ok(())
            }
        }
    }
}

type Reports = Arc<Mutex<Vec<String>>>;

fn serve<H: EventHandler>(
    factory: impl Fn() -> H + Send + Sync + 'static,
) -> (Arc<EventLoopTcpServer<H>>, SocketAddr, Serving, Reports) {
    let reports: Reports = Arc::default();
    let sink = Arc::clone(&reports);
    let server = Arc::new(
        EventLoopTcpServer::bind(
            "127.0.0.1:0",
            Hooks::new(factory)
                .on_error(move |_, err: &Error| sink.lock().unwrap().push(err.to_string())),
        )
        .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, addr, serving, reports)
}

#[test]
fn a_panic_in_on_line_closes_that_connection_only() {
    let (server, addr, serving, reports) = serve(|| Fragile);
    let mut bystander = connect(addr);
    assert_eq!(round_trip(&mut bystander, "before\n"), "before\n");

    let mut victim = connect(addr);
    assert_eq!(round_trip(&mut victim, "fine\n"), "fine\n");
    std::io::Write::write_all(&mut victim, b"panic\n").unwrap();
    assert!(closed_by_server(&mut victim));
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 1));
    assert_eq!(
        *reports.lock().unwrap(),
        ["handler panicked: boom in on_line"]
    );

    assert_eq!(round_trip(&mut bystander, "after\n"), "after\n");
    support::stream_examine(addr);
    serving.stop().unwrap();
}

#[test]
fn an_error_from_a_callback_is_reported_and_closes_the_connection() {
    let (_server, addr, serving, reports) = serve(|| Fragile);
    let mut client = connect(addr);
    std::io::Write::write_all(&mut client, b"error\n").unwrap();
    assert!(closed_by_server(&mut client));
    assert_eq!(*reports.lock().unwrap(), ["bad request"]);
    support::stream_examine(addr);
    serving.stop().unwrap();
}

/// Panics when a client connects, or when its connection closes.
struct PanicsAt(&'static str);

impl EventHandler for PanicsAt {
    fn on_connect(&mut self, _: &mut Context<'_>) -> io::Result<()> {
        if self.0 == "connect" {
            panic!("boom in on_connect");
        }
        Ok(())
    }

    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.send(line);
        Ok(())
    }

    fn on_close(&mut self, _: &mut Context<'_>) {
        if self.0 == "close" {
            panic!("boom in on_close");
        }
    }
}

#[test]
fn panics_in_the_factory_on_connect_and_on_close_are_caught() {
    let made = Arc::new(AtomicUsize::new(0));
    let (server, addr, serving, reports) =
        serve(move || match made.fetch_add(1, Ordering::SeqCst) {
            0 => panic!("boom in the factory"),
            1 => PanicsAt("connect"),
            2 => PanicsAt("close"),
            _ => PanicsAt("nowhere"),
        });
    assert!(closed_by_server(&mut connect(addr)));
    assert!(closed_by_server(&mut connect(addr)));
    let mut third = connect(addr);
    assert_eq!(round_trip(&mut third, "served\n"), "served\n");
    drop(third);
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 0
        && reports.lock().unwrap().len() == 3));
    assert_eq!(
        *reports.lock().unwrap(),
        [
            "handler panicked: boom in the factory",
            "handler panicked: boom in on_connect",
            "handler panicked: boom in on_close",
        ]
    );
    support::stream_examine(addr);
    serving.stop().unwrap();
}
