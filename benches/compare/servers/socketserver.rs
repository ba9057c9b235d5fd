//! This crate's servers, each with the echo handler a user would write.

use std::io::{self, BufRead, Write};

use socketserver::{
    DatagramRequest, StreamRequest, TcpServer, ThreadingTcpServer, ThreadingUdpServer, UdpServer,
};

use super::announce;

/// The line echo every TCP contender runs: read a line, write it back.
fn line_echo(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = Vec::with_capacity(128);
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

fn datagram_echo(req: &mut DatagramRequest) -> io::Result<()> {
    let packet = req.packet().to_vec();
    req.wfile = packet;
    Ok(())
}

fn failed(err: socketserver::Error) -> io::Error {
    io::Error::other(err)
}

/// `TcpServer`: one connection at a time on the serving thread.
pub fn tcp_iterative() -> io::Result<()> {
    let server = TcpServer::bind("127.0.0.1:0", || line_echo).map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// `ThreadingTcpServer`: a thread per connection.
pub fn tcp_threading() -> io::Result<()> {
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || line_echo).map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// `UdpServer`: datagrams answered on the serving thread.
pub fn udp_iterative() -> io::Result<()> {
    let server = UdpServer::bind("127.0.0.1:0", || datagram_echo).map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// `ThreadingUdpServer`: a thread per datagram, as Python's `ThreadingUDPServer`.
pub fn udp_threading() -> io::Result<()> {
    let server = ThreadingUdpServer::bind("127.0.0.1:0", || datagram_echo).map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}
