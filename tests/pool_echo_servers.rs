//! CPython's server matrix (`test_ThreadingTCPServer` and its siblings) for the pool: an
//! echo handler over TCP, UDP, Unix stream and Unix datagram sockets, three clients each,
//! no error reported, and nothing left running after `server_close`.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use socketserver::{PoolTcpServer, PoolUdpServer, PoolUnixDatagramServer, PoolUnixStreamServer};
use support::{
    dgram_examine, echo_datagram, echo_line, run_server, stream_examine, unix_dgram_examine,
    unix_stream_examine, Hooks,
};

fn error_counter() -> (
    Arc<AtomicUsize>,
    impl Fn(&socketserver::Address, &socketserver::Error) + Send + Sync + 'static,
) {
    let errors = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&errors);
    (
        errors,
        move |client: &socketserver::Address, err: &socketserver::Error| {
            eprintln!("handle_error: {client}: {err}");
            counter.fetch_add(1, Ordering::SeqCst);
        },
    )
}

#[test]
fn test_pool_tcp_server() {
    let (errors, handle_error) = error_counter();
    let server = PoolTcpServer::bind(
        "127.0.0.1:0",
        Hooks::new(|| echo_line).on_error(handle_error),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    run_server(server, |_| stream_examine(addr));
    assert_eq!(errors.load(Ordering::SeqCst), 0);
}

#[test]
fn test_pool_udp_server() {
    let (errors, handle_error) = error_counter();
    let server = PoolUdpServer::bind(
        "127.0.0.1:0",
        Hooks::new(|| echo_datagram).on_error(handle_error),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    run_server(server, |_| dgram_examine(addr));
    assert_eq!(errors.load(Ordering::SeqCst), 0);
}

#[test]
fn test_pool_unix_stream_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sock");
    let (errors, handle_error) = error_counter();
    let server =
        PoolUnixStreamServer::bind(&path, Hooks::new(|| echo_line).on_error(handle_error)).unwrap();
    run_server(server, |_| unix_stream_examine(&path));
    assert_eq!(errors.load(Ordering::SeqCst), 0);
}

#[test]
fn test_pool_unix_datagram_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sock");
    let (errors, handle_error) = error_counter();
    let server =
        PoolUnixDatagramServer::bind(&path, Hooks::new(|| echo_datagram).on_error(handle_error))
            .unwrap();
    run_server(server, |n| unix_dgram_examine(&path, dir.path(), n));
    assert_eq!(errors.load(Ordering::SeqCst), 0);
}
