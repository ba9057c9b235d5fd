//! `write!(req.wfile, "{n}: {line}")`, which `fmt` writes in three pieces, reaches the
//! client in one piece: `wfile` collects a reply and sends it when the handler next
//! reads (or returns, or flushes), so Nagle's algorithm never holds a piece back waiting
//! for a delayed ACK. With `wbufsize(0)` each write is sent at once (Python's default).

mod support;

use std::io::{BufRead, Read, Write};

use socketserver::{ServerBuilder, StreamRequest, ThreadingTcpServer};
use support::{connect, Serving};

/// Numbers each line, formatting the reply in pieces.
fn numbered(req: &mut StreamRequest) -> std::io::Result<()> {
    let mut line = String::new();
    let mut n = 0;
    while req.rfile.read_line(&mut line)? > 0 {
        n += 1;
        write!(req.wfile, "{n}: {line}")?;
        line.clear();
    }
    Ok(())
}

type Numbered = fn(&mut StreamRequest) -> std::io::Result<()>;

fn serve(
    builder: ServerBuilder<socketserver::server::Tcp, socketserver::Threading, Numbered>,
) -> (std::net::SocketAddr, Serving) {
    let server = builder
        .bind("127.0.0.1:0", || numbered as Numbered)
        .unwrap();
    let addr = server.local_addr().unwrap();
    (
        addr,
        Serving::start(server.shutdown_handle(), move || server.serve_forever()),
    )
}

#[test]
fn a_formatted_reply_arrives_in_one_read() {
    let (addr, serving) = serve(ThreadingTcpServer::builder());
    let mut client = connect(addr);
    for round in 1..=50 {
        client.write_all(b"hello\n").unwrap();
        // One send on loopback arrives as one segment: a single read gets all of it.
        let mut buf = [0; 64];
        let n = client.read(&mut buf).unwrap();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            format!("{round}: hello\n")
        );
    }
    drop(client);
    serving.stop().unwrap();
}

#[test]
fn with_wbufsize_zero_every_write_is_sent_at_once() {
    let (addr, serving) = serve(ThreadingTcpServer::builder().wbufsize(0));
    let mut client = connect(addr);
    client.write_all(b"hello\n").unwrap();
    let mut reply = String::new();
    std::io::BufReader::new(&client)
        .read_line(&mut reply)
        .unwrap();
    assert_eq!(reply, "1: hello\n");
    drop(client);
    serving.stop().unwrap();
}
