//! The event loop's echo is byte-exact however the bytes arrive: `\r\n` and empty lines,
//! one byte per segment, 1 MiB lines that need many writable events, several clients at
//! once; and the server's lifecycle (shutdown with clients connected, serving again, drop).

mod support;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::thread;

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::Error;
use support::{connect, wait_until, Serving, IO_TIMEOUT};

struct Echo;

impl EventHandler for Echo {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        if line.trim_ascii_end() == b"quit" {
            ctx.close();
        } else {
            ctx.send(line);
        }
        Ok(())
    }
}

fn serve_echo() -> (Arc<EventLoopTcpServer<Echo>>, SocketAddr, Serving) {
    let server = Arc::new(
        EventLoopTcpServer::builder()
            .max_line_length(4 << 20)
            .bind("127.0.0.1:0", || Echo)
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (server, addr, serving)
}

/// Sends `data` from a second thread while reading `expected_len` bytes back, so neither
/// side's buffers can fill up and deadlock the exchange.
fn exchange(addr: SocketAddr, data: Vec<u8>, expected_len: usize) -> Vec<u8> {
    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || writer.write_all(&data));
    let mut got = vec![0; expected_len];
    (&stream).read_exact(&mut got).expect("echo");
    sender.join().unwrap().expect("send");
    got
}

#[test]
fn lines_come_back_unchanged() {
    let (_server, addr, serving) = serve_echo();
    let text: &[u8] = b"hello\r\n\n\r\nplain\n\xff\xfe not utf-8\n\xed\x95\x9c\xea\xb8\x80\n";
    assert_eq!(exchange(addr, text.to_vec(), text.len()), text);
    serving.stop().unwrap();
}

#[test]
fn bytes_sent_one_at_a_time_are_echoed_as_whole_lines() {
    let (_server, addr, serving) = serve_echo();
    let mut stream = connect(addr);
    stream.set_nodelay(true).unwrap(); // one segment per byte: the server sees partial reads
    let text = b"one byte at a time\r\nand another\n";
    for byte in text {
        stream.write_all(&[*byte]).unwrap();
    }
    let mut got = vec![0; text.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, text);
    serving.stop().unwrap();
}

#[test]
fn one_mib_lines_from_several_clients_at_once() {
    let (_server, addr, serving) = serve_echo();
    let clients: Vec<_> = (0..4u8)
        .map(|i| {
            thread::spawn(move || {
                let mut data: Vec<u8> = (0..1 << 20).map(|n: u32| b'a' + (n % 26) as u8).collect();
                data[0] = b'0' + i;
                data.push(b'\n');
                data.extend_from_slice(b"short\r\n");
                data.extend_from_slice(&data.clone()[..1 << 20]);
                data.push(b'\n');
                let len = data.len();
                (exchange(addr, data.clone(), len), data)
            })
        })
        .collect();
    for client in clients {
        let (got, sent) = client.join().unwrap();
        assert!(got == sent, "echo differs from what was sent");
    }
    serving.stop().unwrap();
}

#[test]
fn byte_stream_handler_echoes_binary_data_without_newlines() {
    let server = EventLoopTcpServer::bind("127.0.0.1:0", || {
        |ctx: &mut Context<'_>, data: &[u8]| {
            ctx.send(data);
            Ok(())
        }
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    let data: Vec<u8> = (0..3 << 20).map(|n: u32| (n % 251) as u8).collect();
    assert!(exchange(addr, data.clone(), data.len()) == data);
    serving.stop().unwrap();
}

#[test]
fn last_line_without_newline_is_echoed_before_the_close() {
    let (_server, addr, serving) = serve_echo();
    let mut stream = connect(addr);
    stream.write_all(b"first\nlast without newline").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap(); // the server closes after the echo
    assert_eq!(got, b"first\nlast without newline");
    serving.stop().unwrap();
}

#[test]
fn quit_closes_only_that_connection() {
    let (server, addr, serving) = serve_echo();
    let mut leaving = connect(addr);
    let mut staying = connect(addr);
    assert_eq!(support::round_trip(&mut staying, "hi\n"), "hi\n");
    leaving.write_all(b"before\nquit\r\nafter\n").unwrap();
    let mut got = Vec::new();
    leaving.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"before\n");
    assert_eq!(
        support::round_trip(&mut staying, "still here\n"),
        "still here\n"
    );
    assert!(wait_until(IO_TIMEOUT, || server.open_connections() == 1));
    serving.stop().unwrap();
}

#[test]
fn shutdown_with_clients_connected_returns_and_drop_closes_them() {
    let (server, addr, serving) = serve_echo();
    let mut clients: Vec<_> = (0..5).map(|_| connect(addr)).collect();
    for client in &mut clients {
        assert_eq!(support::round_trip(client, "x\n"), "x\n");
    }
    serving.stop().unwrap(); // returns although every client stays connected
    assert_eq!(server.open_connections(), 5);
    drop(Arc::try_unwrap(server).expect("only owner"));
    for client in &mut clients {
        let mut rest = Vec::new();
        assert_eq!(client.read_to_end(&mut rest).unwrap(), 0, "closed by drop");
    }
}

#[test]
fn serving_again_resumes_held_connections() {
    let (server, addr, serving) = serve_echo();
    let mut client = connect(addr);
    assert_eq!(support::round_trip(&mut client, "before\n"), "before\n");
    serving.stop().unwrap();
    client.write_all(b"while stopped\n").unwrap();
    let again = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    let mut reply = String::new();
    BufReader::new(&client).read_line(&mut reply).unwrap();
    assert_eq!(reply, "while stopped\n");
    again.stop().unwrap();
}

#[test]
fn a_second_serve_forever_is_refused() {
    let (server, addr, serving) = serve_echo();
    // A reply proves the loop is serving (holding the server), so this call cannot serve.
    support::stream_examine(addr);
    assert!(matches!(server.serve_forever(), Err(Error::AlreadyServing)));
    serving.stop().unwrap();
}
