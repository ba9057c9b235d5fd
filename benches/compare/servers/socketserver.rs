//! This crate's servers, each with the echo handler a user would write.

use std::io::{self, BufRead, Write};

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::http::{HttpRequest, ThreadingHttpServer};
use socketserver::proxy::ProxyProtocol;
use socketserver::{
    DatagramRequest, ForkingTcpServer, PoolTcpServer, StreamRequest, TcpServer, ThreadingTcpServer,
    ThreadingUdpServer, UdpServer,
};

use super::{announce, PAGE, POOL_WORKERS};

/// The line echo every TCP contender runs: read a line, write it back.
fn line_echo(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = Vec::with_capacity(128);
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

/// The same echo written the natural way for text: `write!`, which `fmt` turns into
/// several writes (here the line and its end); `wfile` sends them as one.
fn line_echo_fmt(req: &mut StreamRequest) -> io::Result<()> {
    let mut line = String::with_capacity(128);
    while req.rfile.read_line(&mut line)? > 0 {
        writeln!(req.wfile, "{}", line.trim_end_matches('\n'))?;
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

/// `ThreadingTcpServer` with the `write!` echo.
pub fn tcp_threading_fmt() -> io::Result<()> {
    let server = ThreadingTcpServer::bind("127.0.0.1:0", || line_echo_fmt).map_err(failed)?;
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

/// `PoolTcpServer` with as many workers as the hand-written pool.
pub fn tcp_pool() -> io::Result<()> {
    let server = PoolTcpServer::builder()
        .max_workers(POOL_WORKERS)
        .bind("127.0.0.1:0", || line_echo)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// `ForkingTcpServer`: a child process per connection, room for every ping-pong client.
pub fn tcp_forking() -> io::Result<()> {
    let server = ForkingTcpServer::builder()
        .max_children(POOL_WORKERS)
        .bind("127.0.0.1:0", || line_echo)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// The event loop echoing bytes as they arrive (what the hand-written mio loop does).
struct EchoBytes;

impl EventHandler for EchoBytes {
    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        ctx.send(data);
        Ok(())
    }
}

/// The event loop with its line framing: the line echo a user would write.
struct EchoLines;

impl EventHandler for EchoLines {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.send(line);
        Ok(())
    }
}

pub fn tcp_event_bytes() -> io::Result<()> {
    let server = EventLoopTcpServer::bind("127.0.0.1:0", || EchoBytes).map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// The `on_data` echo on the io_uring backend. Refuses to run rather than measure epoll
/// under this name: without the `io-uring` feature, or where the kernel refuses io_uring.
pub fn tcp_event_uring() -> io::Result<()> {
    if !cfg!(feature = "io-uring") {
        return Err(io::Error::other(
            "ss-event-uring needs `cargo bench --features io-uring`",
        ));
    }
    let server = EventLoopTcpServer::builder()
        .backend(socketserver::event::Backend::IoUring)
        .bind("127.0.0.1:0", || EchoBytes)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

pub fn tcp_event_lines() -> io::Result<()> {
    let server = EventLoopTcpServer::bind("127.0.0.1:0", || EchoLines).map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// The byte echo on two event loops (`.loops(2)`), run unpinned: both cores.
pub fn tcp_event_bytes_2loops() -> io::Result<()> {
    let server = EventLoopTcpServer::builder()
        .loops(2)
        .bind("127.0.0.1:0", || EchoBytes)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// The byte echo behind a balancer: every connection starts with a PROXY header.
pub fn tcp_event_bytes_proxy() -> io::Result<()> {
    let server = EventLoopTcpServer::builder()
        .proxy_protocol(ProxyProtocol::new())
        .bind("127.0.0.1:0", || EchoBytes)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// `ThreadingTcpServer` behind a balancer: every connection starts with a PROXY header.
pub fn tcp_threading_proxy() -> io::Result<()> {
    let server = ThreadingTcpServer::builder()
        .proxy_protocol(ProxyProtocol::new())
        .bind("127.0.0.1:0", || line_echo)
        .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}

/// `ThreadingHttpServer` serving the same page as the Python one.
pub fn http_threading() -> io::Result<()> {
    let server = ThreadingHttpServer::bind("127.0.0.1:0", || {
        |req: &mut HttpRequest<'_>| {
            req.send_response(200)?;
            req.send_header("Content-Type", "text/html; charset=utf-8")?;
            req.send_header("Content-Length", PAGE.len())?;
            req.end_headers()?;
            req.wfile().write_all(PAGE)
        }
    })
    .map_err(failed)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(failed)
}
