//! What is particular to HTTP on the event loop (`HttpEvents`): requests arrive in pieces
//! of any size and are answered once whole, pipelined requests are answered in order
//! (a large file streamed between them), a client cannot make the server buffer without
//! bound by pipelining ahead, and one thread serves many keep-alive clients at once. The
//! protocol itself is tested in both modes by the other `http_*` tests.
#![cfg(feature = "http")]

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use socketserver::event::EventLoopTcpServer;
use socketserver::http::{FileServer, HttpEvents, Limits};
use support::http::Client;
use support::http_app::{serve_app_in, Mode};
use support::Serving;

/// A served directory with a small and a 3 MB file.
fn serve_files() -> (tempfile::TempDir, Vec<u8>, SocketAddr, Serving) {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(dir.path().join("big.bin"), &big).unwrap();
    fs::write(dir.path().join("small.txt"), "small").unwrap();
    let files = FileServer::new(dir.path()).unwrap();
    let server = EventLoopTcpServer::builder()
        .disable_nagle_algorithm(true)
        .bind("127.0.0.1:0", move || HttpEvents::new(files.clone()))
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    (dir, big, addr, serving)
}

#[test]
fn a_request_sent_a_byte_at_a_time_is_answered_once_whole() {
    let (addr, serving) = serve_app_in(Mode::EventLoop, Limits::default());
    let mut client = Client::connect(addr);
    let request = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    for byte in request.chunks(1) {
        client.send(byte);
    }
    let response = client.response();
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "hello world")
    );
    // The connection goes on.
    assert_eq!(client.request(b"GET /count HTTP/1.1\r\n\r\n").text(), "2");
    serving.stop().unwrap();
}

#[test]
fn pipelined_requests_are_answered_in_order_around_a_large_file() {
    let (_dir, big, addr, serving) = serve_files();
    let mut client = Client::connect(addr);
    client.send(
        b"GET /small.txt HTTP/1.1\r\n\r\n\
          GET /big.bin HTTP/1.1\r\n\r\n\
          HEAD /big.bin HTTP/1.1\r\n\r\n\
          GET /big.bin HTTP/1.1\r\nRange: bytes=1000000-1000009\r\n\r\n\
          GET /small.txt HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(client.response().text(), "small");
    let whole = client.response();
    assert_eq!(whole.status, 200);
    assert!(whole.body == big, "the 3 MB file, byte-exact");
    let head = client.head_response();
    assert_eq!(head.header("Content-Length"), Some("3000000"));
    let range = client.response();
    assert_eq!(range.status, 206);
    assert_eq!(range.body, big[1_000_000..1_000_010]);
    assert_eq!(client.response().text(), "small");
    assert!(client.is_closed());
    serving.stop().unwrap();
}

#[test]
fn a_client_pipelining_far_ahead_of_a_file_it_does_not_read_is_closed() {
    let (_dir, _big, addr, serving) = serve_files();
    let mut greedy = support::connect_small_buffer(addr);
    greedy
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    greedy.write_all(b"GET /big.bin HTTP/1.1\r\n\r\n").unwrap();
    // Requests ahead of the file, never reading: the server may hold a bounded amount of
    // them, then ends the connection rather than buffering the rest.
    let ahead = b"GET /small.txt HTTP/1.1\r\n\r\n".repeat(1000);
    for _ in 0..100 {
        if greedy.write_all(&ahead).is_err() {
            break; // the server closed (or stopped reading, which the reads below tell)
        }
    }
    greedy
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0; 1 << 16];
    let mut got = 0;
    let ended = loop {
        match greedy.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got += n,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(err) if err.kind() == std::io::ErrorKind::TimedOut => break false,
            Err(_) => break true, // reset
        }
    };
    assert!(ended, "the connection stayed open after {got} bytes");
    assert!(
        got < 3_100_000,
        "{got} bytes: the pipelined requests were answered"
    );
    // Another client is served meanwhile.
    let mut other = Client::connect(addr);
    assert_eq!(
        other.request(b"GET /small.txt HTTP/1.1\r\n\r\n").text(),
        "small"
    );
    serving.stop().unwrap();
}

#[test]
fn one_thread_serves_200_keep_alive_clients_at_once() {
    let (addr, serving) = serve_app_in(Mode::EventLoop, Limits::default());
    let mut clients: Vec<Client> = (0..200).map(|_| Client::connect(addr)).collect();
    for round in 1..=3 {
        for client in &mut clients {
            client.send(b"GET /count HTTP/1.1\r\n\r\n");
        }
        for client in &mut clients {
            assert_eq!(client.response().text(), round.to_string());
        }
    }
    serving.stop().unwrap();
}
