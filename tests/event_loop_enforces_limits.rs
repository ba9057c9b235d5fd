//! The event loop's limits: `max_connections` (later clients wait in the backlog),
//! `idle_timeout`, `max_line_length`, and `verify_request`.

mod support;

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socketserver::event::{Context, EventHandler, EventLoop, EventLoopTcpServer};
use socketserver::server::Tcp;
use socketserver::{HandlerFactory, ServerBuilder};
use support::{closed_by_server, connect, round_trip, wait_until, Hooks, Serving, IO_TIMEOUT};

struct Echo;

impl EventHandler for Echo {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.send(line);
        Ok(())
    }
}

fn serve(
    builder: ServerBuilder<Tcp, EventLoop<Echo>, Echo>,
    factory: impl HandlerFactory<Handler = Echo>,
) -> (Arc<EventLoopTcpServer<Echo>>, SocketAddr, Serving) {
    let server = Arc::new(builder.bind("127.0.0.1:0", factory).unwrap());
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, addr, serving)
}

#[test]
fn past_max_connections_clients_wait_in_the_backlog_until_one_closes() {
    let (server, addr, serving) = serve(
        EventLoopTcpServer::builder().max_connections(Some(2)),
        || Echo,
    );
    let mut first = connect(addr);
    let mut second = connect(addr);
    assert_eq!(round_trip(&mut first, "1\n"), "1\n");
    assert_eq!(round_trip(&mut second, "2\n"), "2\n");

    let waiting = connect(addr); // the kernel completes the handshake; nobody accepts
    (&waiting).write_all(b"3\n").unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut reply = String::new();
    let early = BufReader::new(&waiting).read_line(&mut reply);
    assert!(early.is_err(), "served past max_connections: {reply:?}");
    assert_eq!(server.stats().accepted, 2);

    drop(first);
    waiting.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    BufReader::new(&waiting).read_line(&mut reply).unwrap();
    assert_eq!(reply, "3\n");
    assert_eq!(server.open_connections(), 2);
    serving.stop().unwrap();
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let timeout = Duration::from_millis(200);
    let (server, addr, serving) = serve(
        EventLoopTcpServer::builder().idle_timeout(Some(timeout)),
        || Echo,
    );
    let start = Instant::now();
    let mut silent = connect(addr);
    let mut talker = connect(addr);
    assert_eq!(round_trip(&mut talker, "hi\n"), "hi\n");
    assert!(closed_by_server(&mut silent));
    let waited = start.elapsed();
    assert!(waited >= timeout, "closed after {waited:?}");
    assert!(closed_by_server(&mut talker)); // idle too, once it stopped talking
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 0));
    serving.stop().unwrap();
}

#[test]
fn a_line_over_max_line_length_closes_the_connection_with_an_error() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let (_server, addr, serving) = serve(
        EventLoopTcpServer::builder().max_line_length(16),
        Hooks::new(|| Echo).on_error(move |_, err| sink.lock().unwrap().push(err.to_string())),
    );
    let mut client = connect(addr);
    assert_eq!(
        round_trip(&mut client, "exactly 16 bytes\n"),
        "exactly 16 bytes\n"
    );
    client.write_all(b"seventeen bytes!!\n").unwrap();
    assert!(closed_by_server(&mut client));
    assert_eq!(
        *reports.lock().unwrap(),
        ["line longer than max_line_length (16 bytes)"]
    );
    serving.stop().unwrap();
}

#[test]
fn verify_request_refuses_before_a_handler_is_made() {
    let (server, addr, serving) = serve(
        EventLoopTcpServer::builder(),
        Hooks::new(|| Echo).verify(|client| client.as_inet().is_none()),
    );
    let mut client = connect(addr);
    assert!(closed_by_server(&mut client));
    assert_eq!(server.stats().accepted, 0);
    serving.stop().unwrap();
}
