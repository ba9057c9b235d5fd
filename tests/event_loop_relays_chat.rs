//! A chat relay on the event loop: each line goes to every other client, whatever way it
//! arrived (one byte at a time, 1 MiB at once); a client that does not read is dropped
//! instead of holding the others back; ids of closed connections reach nobody.

mod support;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use socketserver::event::{ConnectionId, Context, EventHandler, EventLoopTcpServer};
use support::{connect, wait_until, Hooks, Serving, IO_TIMEOUT};

/// The whole relay.
struct Chat;

impl EventHandler for Chat {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.broadcast(line);
        Ok(())
    }

    fn on_close(&mut self, ctx: &mut Context<'_>) {
        ctx.broadcast(format!("{} left\n", ctx.id()).as_bytes());
    }
}

type Reports = Arc<Mutex<Vec<String>>>;

fn serve_chat(
    slow_reader_limit: usize,
) -> (Arc<EventLoopTcpServer<Chat>>, SocketAddr, Serving, Reports) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let reported = Arc::clone(&errors);
    let server = Arc::new(
        EventLoopTcpServer::builder()
            .max_line_length(2 << 20)
            .output_limit(slow_reader_limit / 4)
            .slow_reader_limit(slow_reader_limit)
            .bind(
                "127.0.0.1:0",
                Hooks::new(|| Chat)
                    .on_error(move |_, err| reported.lock().unwrap().push(err.to_string())),
            )
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, addr, serving, errors)
}

/// Connects `n` clients and waits until the server holds them all, so that a broadcast
/// reaches every one.
fn join(server: &EventLoopTcpServer<Chat>, addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let clients: Vec<_> = (0..n).map(|_| connect(addr)).collect();
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == n));
    clients
}

fn read_line(stream: &TcpStream) -> String {
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

#[test]
fn lines_reach_every_other_client_but_not_the_sender() {
    let (server, addr, serving, _) = serve_chat(16 << 20);
    let mut clients = join(&server, addr, 3);
    clients[0].write_all(b"hi from 0\r\n").unwrap();
    assert_eq!(read_line(&clients[1]), "hi from 0\r\n");
    assert_eq!(read_line(&clients[2]), "hi from 0\r\n");
    // The sender's next line is the reply to someone else's, not its own echo.
    clients[1].write_all(b"hi from 1\n").unwrap();
    assert_eq!(read_line(&clients[0]), "hi from 1\n");
    assert_eq!(read_line(&clients[2]), "hi from 1\n");
    serving.stop().unwrap();
}

#[test]
fn a_line_sent_one_byte_at_a_time_is_relayed_whole() {
    let (server, addr, serving, _) = serve_chat(16 << 20);
    let mut clients = join(&server, addr, 3);
    clients[1].set_nodelay(true).unwrap();
    for byte in b"typed slowly\n" {
        clients[1].write_all(&[*byte]).unwrap();
    }
    assert_eq!(read_line(&clients[0]), "typed slowly\n");
    assert_eq!(read_line(&clients[2]), "typed slowly\n");
    serving.stop().unwrap();
}

#[test]
fn a_one_mib_message_reaches_every_other_client_intact() {
    let (server, addr, serving, errors) = serve_chat(16 << 20);
    let clients = join(&server, addr, 3);
    let mut message: Vec<u8> = (0..1 << 20).map(|n: u32| b'a' + (n % 26) as u8).collect();
    message.push(b'\n');
    let readers: Vec<_> = clients[1..]
        .iter()
        .map(|client| {
            let client = client.try_clone().unwrap();
            let len = message.len();
            thread::spawn(move || {
                let mut got = vec![0; len];
                (&client).read_exact(&mut got).map(|()| got)
            })
        })
        .collect();
    (&clients[0]).write_all(&message).unwrap();
    for reader in readers {
        assert!(reader.join().unwrap().unwrap() == message);
    }
    assert!(errors.lock().unwrap().is_empty());
    serving.stop().unwrap();
}

#[test]
fn a_client_that_never_reads_is_dropped_and_the_others_get_everything() {
    const LIMIT: usize = 256 * 1024;
    let (server, addr, serving, errors) = serve_chat(LIMIT);
    let clients = join(&server, addr, 3);
    let (sender, listener) = (&clients[0], &clients[1]); // clients[2] never reads
                                                         // The listener's lines come through a channel: the notice that the deaf client left
                                                         // may arrive between two lines of a batch (how the server's reads cut the sender's
                                                         // input is up to the kernel: io_uring completes a receive with whatever has arrived).
    let (lines, relayed) = std::sync::mpsc::channel();
    {
        let listener = listener.try_clone().unwrap();
        thread::spawn(move || {
            let mut reader = BufReader::new(listener);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(n) if n > 0 && lines.send(line).is_ok() => {}
                    _ => return,
                }
            }
        });
    }
    let mut left = None;
    let mut received = 0usize;
    let mut receive_until = |sent: usize, left: &mut Option<String>, want_left: bool| {
        while received < sent || (want_left && left.is_none()) {
            let line = relayed
                .recv_timeout(IO_TIMEOUT)
                .expect("the listener lost lines");
            if line.ends_with(" left\n") {
                *left = Some(line);
            } else {
                assert_eq!(line.len(), 1024, "relayed lines arrive whole");
                received += 1;
            }
        }
        received
    };
    // A reader that keeps up (the listener, whom the sender waits for after each batch)
    // and one that never reads: only the second must be dropped. Its own and the kernel's
    // buffers hold some megabytes first. Bounded: 256 MiB at most.
    let line = [b"x".repeat(1023), b"\n".to_vec()].concat();
    let mut sent = 0usize;
    while server.open_connections() == 3 {
        assert!(sent < 256 * 1024, "the deaf client was never dropped");
        for _ in 0..64 {
            (&*sender).write_all(&line).unwrap();
        }
        sent += 64;
        assert_eq!(receive_until(sent, &mut left, false), sent);
    }
    assert_eq!(
        receive_until(sent, &mut left, true),
        sent,
        "the listener lost lines"
    );
    let left = left.unwrap();
    assert!(left.starts_with('#'), "{left:?}");
    assert!(server.stats().peak_queued_output <= LIMIT);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("reads too slowly"), "{errors:?}");
    serving.stop().unwrap();
}

/// Sends each line to the first client that connected, and tells the sender whether it
/// was delivered.
struct ToFirst(Arc<OnceLock<ConnectionId>>);

impl EventHandler for ToFirst {
    fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        let _ = self.0.set(ctx.id());
        Ok(())
    }

    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        let first = *self.0.get().expect("set on the first connect");
        let reply: &[u8] = if ctx.send_to(first, line) {
            b"delivered\n"
        } else {
            b"gone\n"
        };
        ctx.send(reply);
        Ok(())
    }
}

#[test]
fn the_id_of_a_closed_connection_reaches_nobody_not_even_its_successor() {
    let first = Arc::new(OnceLock::new());
    let server = Arc::new({
        let first = Arc::clone(&first);
        EventLoopTcpServer::bind("127.0.0.1:0", move || ToFirst(Arc::clone(&first))).unwrap()
    });
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let first_client = connect(addr);
    assert!(wait_until(IO_TIMEOUT, || first.get().is_some()));
    let mut second = connect(addr);
    assert_eq!(support::round_trip(&mut second, "x\n"), "delivered\n");
    assert_eq!(read_line(&first_client), "x\n");

    drop(first_client);
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 1));
    // The newcomer takes the first client's table slot; the old id must not reach it.
    let mut newcomer = connect(addr);
    assert_eq!(support::round_trip(&mut second, "y\n"), "gone\n");
    assert_eq!(support::round_trip(&mut newcomer, "z\n"), "gone\n");
    serving.stop().unwrap();
}
