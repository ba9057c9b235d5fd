//! `examples/hello_server.rs`: each client is greeted and disconnected, one at a time; the
//! server exits 0 on SIGTERM.

mod support;

use std::io::Read;
use std::time::Duration;

use support::connect;
use support::example::ExampleServer;

#[test]
fn greets_each_client_and_closes() {
    let server = ExampleServer::start("hello_server", &[]);
    for _ in 0..3 {
        let mut greeting = String::new();
        connect(server.addr).read_to_string(&mut greeting).unwrap();
        assert_eq!(greeting, "Server Saying Hi\n");
    }
}

#[test]
fn sigterm_exits_zero() {
    let mut server = ExampleServer::start("hello_server", &[]);
    let status = server.stop_with(libc::SIGTERM, Duration::from_secs(3));
    assert_eq!(status.code(), Some(0));
}
