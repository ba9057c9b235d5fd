//! `FileServer` on the forking HTTP server: each connection's child sends files by
//! `sendfile`, ranges and listings included, and leaves no zombie.
//!
//! This binary forks: it runs with `harness = false` (see `support::fork`).

mod support;

use std::fs;
use std::sync::Arc;

use socketserver::http::{FileServer, ForkingHttpServer};
use support::fork::zombies;
use support::http::Client;
use support::Serving;

fn main() {
    support::fork::capture_logs();
    support::fork::run(&[(
        "a_forked_child_serves_files_ranges_and_listings",
        a_forked_child_serves_files_ranges_and_listings,
    )]);
}

fn a_forked_child_serves_files_ranges_and_listings() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 249) as u8).collect();
    fs::write(dir.path().join("big.bin"), &data).unwrap();
    fs::write(dir.path().join("small.txt"), "small").unwrap();
    let files = FileServer::new(dir.path()).unwrap();
    let server = Arc::new(ForkingHttpServer::bind("127.0.0.1:0", move || files.clone()).unwrap());
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    // Several requests on one keep-alive connection, all in one child.
    let mut client = Client::connect(addr);
    assert_eq!(client.request(b"GET /big.bin HTTP/1.1\r\n\r\n").body, data);
    let range = client.request(b"GET /big.bin HTTP/1.1\r\nRange: bytes=-1000\r\n\r\n");
    assert_eq!(range.status, 206);
    assert_eq!(range.body, data[data.len() - 1000..]);
    assert_eq!(
        client.request(b"GET /small.txt HTTP/1.1\r\n\r\n").text(),
        "small"
    );
    let listing = client.request(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(listing.text().contains("<a href=\"big.bin\">big.bin</a>"));
    assert!(client.is_closed());
    serving.stop().unwrap();
    Arc::into_inner(server).unwrap().close_gracefully();
    assert!(zombies().is_empty());
}
