//! A pool serves `max_workers` clients at once, queues up to `max_queued` more, and past
//! that stops accepting (the listen backlog holds the rest) without losing anyone.

mod support;

use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketserver::{PoolTcpServer, RequestHandler, StreamRequest};
use support::{connect_with_line, read_line, wait_until, Hooks, Serving, IO_TIMEOUT};

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Accepted(u16),
    Start(String),
    End(String),
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Event>>>);

impl Log {
    fn push(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
    fn position(&self, event: &Event) -> Option<usize> {
        self.0.lock().unwrap().iter().position(|e| e == event)
    }
    fn accepted(&self) -> usize {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|e| matches!(e, Event::Accepted(_)))
            .count()
    }
}

/// A pool whose handler reads the client's id line, logs `Start`, greets, holds the
/// connection until the client leaves, and logs `End`. Accepts are logged through
/// `verify_request`, loop turns counted through `service_actions`.
fn start(
    log: &Log,
    turns: &Arc<AtomicUsize>,
    workers: usize,
    queued: usize,
) -> (
    Arc<PoolTcpServer<impl RequestHandler<StreamRequest>>>,
    Serving,
) {
    let (accepts, handlers, turns) = (log.clone(), log.clone(), Arc::clone(turns));
    let factory = Hooks::new(move || {
        let log = handlers.clone();
        move |req: &mut StreamRequest| {
            let mut id = String::new();
            req.rfile.read_line(&mut id)?;
            let id = id.trim().to_owned();
            log.push(Event::Start(id.clone()));
            writeln!(req.wfile, "hi {id}")?;
            req.rfile.read_to_end(&mut Vec::new())?;
            log.push(Event::End(id));
            Ok(())
        }
    })
    .verify(move |client| {
        accepts.push(Event::Accepted(client.as_inet().unwrap().port()));
        true
    })
    .service_actions(move || {
        turns.fetch_add(1, Ordering::SeqCst);
    });
    let server = PoolTcpServer::builder()
        .poll_interval(Duration::from_millis(10))
        .max_workers(workers)
        .max_queued(queued)
        .bind("127.0.0.1:0", factory)
        .unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, serving)
}

#[test]
fn third_client_is_served_only_after_one_of_two_workers_frees() {
    let log = Log::default();
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(&log, &turns, 2, 8);
    let addr = server.local_addr().unwrap();

    let first = connect_with_line(addr, "1");
    assert_eq!(read_line(&first), "hi 1\n");
    let second = connect_with_line(addr, "2");
    assert_eq!(read_line(&second), "hi 2\n");
    let third = connect_with_line(addr, "3");
    assert!(
        wait_until(IO_TIMEOUT, || server.queued_requests() == 1),
        "the third client is accepted and queued"
    );
    assert_eq!(server.active_workers(), 2);
    assert_eq!(log.position(&Event::Start("3".into())), None);

    drop(first);
    assert_eq!(read_line(&third), "hi 3\n");
    let first_left = log.position(&Event::End("1".into())).expect("End(1)");
    let third_began = log.position(&Event::Start("3".into())).expect("Start(3)");
    assert!(
        first_left < third_began,
        "order: {:?}",
        log.0.lock().unwrap()
    );

    drop((second, third));
    serving.stop().unwrap();
}

#[test]
fn past_max_queued_accept_pauses_and_nobody_is_lost() {
    let log = Log::default();
    let turns = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start(&log, &turns, 1, 1);
    let addr = server.local_addr().unwrap();

    let first = connect_with_line(addr, "1");
    assert_eq!(read_line(&first), "hi 1\n");
    let second = connect_with_line(addr, "2");
    assert!(wait_until(IO_TIMEOUT, || server.queued_requests() == 1));
    let third = connect_with_line(addr, "3"); // connected: the backlog completed the handshake
    let third_port = third.local_addr().unwrap().port();

    // Two full turns of the loop after the third client connected: a loop with room
    // would have accepted it by now.
    let seen = turns.load(Ordering::SeqCst);
    assert!(wait_until(IO_TIMEOUT, || turns.load(Ordering::SeqCst) >= seen + 2));
    assert_eq!(
        log.accepted(),
        2,
        "the third client must wait in the backlog"
    );
    assert_eq!(server.queued_requests(), 1);

    drop(first);
    assert_eq!(read_line(&second), "hi 2\n");
    assert!(wait_until(IO_TIMEOUT, || log.accepted() == 3));
    let first_left = log.position(&Event::End("1".into())).expect("End(1)");
    let third_accepted = log
        .position(&Event::Accepted(third_port))
        .expect("accepted");
    assert!(
        first_left < third_accepted,
        "order: {:?}",
        log.0.lock().unwrap()
    );

    drop(second);
    assert_eq!(read_line(&third), "hi 3\n");
    drop(third);
    serving.stop().unwrap();
}

#[test]
fn pool_servers_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PoolTcpServer<fn(&mut StreamRequest) -> std::io::Result<()>>>();
}
