//! A stream server stopped while a client was connected leaves its port in TIME_WAIT
//! (the server closed first); a new server binds the same port at once, because stream
//! servers set `SO_REUSEADDR` by default. Datagram servers do not (it would let two of
//! them share a port).

mod support;

use std::io::{Read, Write};

use socketserver::{StreamRequest, ThreadingTcpServer};
use support::{connect, Serving};

#[test]
fn a_restarted_server_gets_its_port_back_at_once() {
    let greet = || |req: &mut StreamRequest| req.wfile.write_all(b"hi\n");
    let server = ThreadingTcpServer::bind("127.0.0.1:0", greet).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.run());
    let mut client = connect(addr);
    let mut reply = String::new();
    client.read_to_string(&mut reply).unwrap(); // the server closed the connection first
    assert_eq!(reply, "hi\n");
    serving.stop().unwrap();
    drop(client);
    // The old connection is in TIME_WAIT on the server's side: binding needs SO_REUSEADDR.
    let again = ThreadingTcpServer::bind(addr, greet).expect("the same port, at once");
    assert_eq!(again.local_addr().unwrap(), addr);
}

#[test]
fn datagram_servers_do_not_share_a_port_by_default() {
    let first = socketserver::UdpServer::bind("127.0.0.1:0", || support::echo_datagram).unwrap();
    let addr = first.local_addr().unwrap();
    let second = socketserver::UdpServer::bind(addr, || support::echo_datagram);
    let err = second.expect_err("a second UDP server on the same port");
    assert_eq!(
        err.io_error().map(std::io::Error::kind),
        Some(std::io::ErrorKind::AddrInUse)
    );
    assert_eq!(
        err.to_string(),
        format!("cannot bind {addr}: address already in use")
    );
}
