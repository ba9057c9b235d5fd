//! A graceful stop (`close_gracefully`, and so `run`) loses nothing that can be delivered
//! and always ends, in every mode that runs in this process (the forking one has a binary
//! of its own): a large reply being written when the stop comes arrives whole at a client
//! that reads it, an idle client's connection is ended, and a client that never reads
//! does not keep the server alive past the drain timeout. A client whose connection the
//! kernel completed while nothing accepted is served, not reset when the socket closes.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use socketserver::event::{Context, EventHandler, EventLoop};
use socketserver::server::Tcp;
use socketserver::{
    EventLoopTcpServer, Iterative, Mode, PoolTcpServer, Serve, Server, ServerBuilder,
    StreamHandler, StreamRequest, TcpServer, ThreadingTcpServer,
};
use support::{connect, served_from_the_backlog_at_the_stop, IO_TIMEOUT};

/// The reply every server here sends to any line: more than the socket buffers hold, so
/// it is still being written while the client has not started reading.
const REPLY: usize = 8 << 20;

/// The drain timeout of the servers here.
const DRAIN: Duration = Duration::from_millis(500);

/// Answers each line with [`REPLY`] bytes of `x`, telling `started` before it writes.
struct BigReply {
    started: mpsc::Sender<()>,
}

impl StreamHandler for BigReply {
    fn handle(&mut self, req: &mut StreamRequest) -> std::io::Result<()> {
        let mut line = Vec::new();
        while req.rfile.read_until(b'\n', &mut line)? > 0 {
            let _ = self.started.send(());
            req.wfile.write_all(&vec![b'x'; REPLY])?;
            req.wfile.flush()?;
            line.clear();
        }
        Ok(())
    }
}

impl EventHandler for BigReply {
    fn on_line(&mut self, ctx: &mut Context<'_>, _line: &[u8]) -> std::io::Result<()> {
        let _ = self.started.send(());
        ctx.send(&vec![b'x'; REPLY]);
        Ok(())
    }
}

/// A server of mode `M` answering [`BigReply`], serving on a thread; returns its address,
/// its stop (which runs `close_gracefully` and tells how long that took), and the
/// channel on which handlers say they started a reply.
fn serve<M>(builder: ServerBuilder<Tcp, M, BigReply>) -> (SocketAddr, Stop, mpsc::Receiver<()>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
    Server<Tcp, M, BigReply>: Serve<Addr = SocketAddr> + 'static,
{
    serve_draining(builder, DRAIN)
}

/// A server of mode `M` answering [`BigReply`], bound to port 0 of loopback with drain
/// timeout `drain`; and the channel on which its handlers say they started a reply.
fn bind<M>(
    builder: ServerBuilder<Tcp, M, BigReply>,
    drain: Duration,
) -> (Server<Tcp, M, BigReply>, mpsc::Receiver<()>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
{
    let (started, started_rx) = mpsc::channel();
    let server = builder
        .drain_timeout(drain)
        .bind("127.0.0.1:0", move || BigReply {
            started: started.clone(),
        })
        .unwrap();
    (server, started_rx)
}

fn serve_draining<M>(
    builder: ServerBuilder<Tcp, M, BigReply>,
    drain: Duration,
) -> (SocketAddr, Stop, mpsc::Receiver<()>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
    Server<Tcp, M, BigReply>: Serve<Addr = SocketAddr> + 'static,
{
    let (server, started_rx) = bind(builder, drain);
    let addr = Serve::local_addr(&server).unwrap();
    let handle = Serve::shutdown_handle(&server);
    let (stopped, stopped_rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        server.serve_forever().unwrap();
        let at = Instant::now();
        Serve::close_gracefully(server);
        let _ = stopped.send(at.elapsed());
    });
    let stop = Stop {
        handle,
        stopped: stopped_rx,
        thread,
    };
    (addr, stop, started_rx)
}

struct Stop {
    handle: socketserver::ShutdownHandle,
    stopped: mpsc::Receiver<Duration>,
    thread: thread::JoinHandle<()>,
}

impl Stop {
    fn request(&self) {
        self.handle.request_shutdown();
    }

    /// Waits for `close_gracefully` to return; how long it took.
    fn finished(self) -> Duration {
        let took = self
            .stopped
            .recv_timeout(IO_TIMEOUT)
            .expect("close_gracefully returned");
        self.thread.join().unwrap();
        took
    }
}

/// Asks for a reply, waits until the handler writes it, stops the server, then reads:
/// every byte arrives, and the connection ends after it.
fn large_reply_in_progress_arrives_whole<M>(builder: ServerBuilder<Tcp, M, BigReply>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
    Server<Tcp, M, BigReply>: Serve<Addr = SocketAddr> + 'static,
{
    let (addr, stop, started) = serve(builder);
    let mut client = connect(addr);
    client.write_all(b"send\n").unwrap();
    started.recv_timeout(IO_TIMEOUT).expect("the reply started");
    stop.request();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).unwrap();
    assert_eq!(reply.len(), REPLY, "the whole reply");
    assert!(reply.iter().all(|&b| b == b'x'));
    stop.finished();
}

/// A client that connected and sent nothing, and one that asked for a reply and never
/// reads it: the stop ends both, and returns within the drain timeout and a margin.
fn clients_that_never_read_do_not_keep_the_server_alive<M>(builder: ServerBuilder<Tcp, M, BigReply>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
    Server<Tcp, M, BigReply>: Serve<Addr = SocketAddr> + 'static,
{
    let (addr, stop, started) = serve(builder);
    let mut idle = connect(addr);
    let mut stuck = connect(addr);
    stuck.write_all(b"send\n").unwrap();
    started.recv_timeout(IO_TIMEOUT).expect("the reply started");
    stop.request();
    let took = stop.finished();
    // Bounded by the drain timeout plus the moment the handlers get to return (0.5 s),
    // with room for a loaded machine.
    assert!(took < DRAIN + Duration::from_secs(3), "stop took {took:?}");
    // Both connections are over: reading reaches their end.
    let mut rest = Vec::new();
    assert_eq!(idle.read_to_end(&mut rest).unwrap(), 0);
    let _ = stuck.read_to_end(&mut rest); // part of the reply, then the end (or a reset)
    assert!(rest.len() < REPLY, "the stuck client was cut off");
}

/// An idle client (connected, between requests) does not hold up the stop until the drain
/// timeout: its connection is ended as soon as requests in progress have had their moment.
fn idle_clients_are_ended<M>(builder: ServerBuilder<Tcp, M, BigReply>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
    Server<Tcp, M, BigReply>: Serve<Addr = SocketAddr> + 'static,
{
    let long_drain = Duration::from_secs(30);
    let (addr, stop, _started) = serve_draining(builder, long_drain);
    let mut client = connect(addr);
    // A whole conversation first: the server has the connection, which is now idle.
    client.write_all(b"send\n").unwrap();
    let mut reply = vec![0; REPLY];
    client.read_exact(&mut reply).unwrap();
    stop.request();
    let took = stop.finished();
    assert!(
        took < long_drain / 2,
        "an idle client held the stop for {took:?}"
    );
    let mut rest = Vec::new();
    assert_eq!(BufReader::new(client).read_to_end(&mut rest).unwrap(), 0);
}

/// A client that connected after `serve_forever` returned, and before the stop closed
/// the socket, gets its whole reply.
fn a_client_in_the_backlog_is_served<M>(builder: ServerBuilder<Tcp, M, BigReply>)
where
    M: socketserver::server::Serves<Tcp, BigReply> + Mode,
    Server<Tcp, M, BigReply>: Serve<Addr = SocketAddr> + 'static,
{
    let (server, _started) = bind(builder, DRAIN);
    let reply = served_from_the_backlog_at_the_stop(server, b"send\n", REPLY);
    assert!(reply.iter().all(|&b| b == b'x'));
}

#[test]
fn iterative_server() {
    a_client_in_the_backlog_is_served(TcpServer::builder());
    // One client at a time: the iterative server is busy with the first client while the
    // stop is asked, so only the in-progress reply is checked.
    large_reply_in_progress_arrives_whole(Server::<Tcp, Iterative, _>::builder());
    let (addr, stop, started) = serve(TcpServer::builder());
    let mut stuck = connect(addr);
    stuck.write_all(b"send\n").unwrap();
    started.recv_timeout(IO_TIMEOUT).unwrap();
    stop.request();
    assert!(stop.finished() < DRAIN + Duration::from_secs(3));
}

#[test]
fn threading_server() {
    a_client_in_the_backlog_is_served(ThreadingTcpServer::builder());
    large_reply_in_progress_arrives_whole(ThreadingTcpServer::builder());
    clients_that_never_read_do_not_keep_the_server_alive(ThreadingTcpServer::builder());
    idle_clients_are_ended(ThreadingTcpServer::builder());
}

#[test]
fn pool_server() {
    a_client_in_the_backlog_is_served(PoolTcpServer::builder());
    large_reply_in_progress_arrives_whole(PoolTcpServer::builder());
    clients_that_never_read_do_not_keep_the_server_alive(PoolTcpServer::builder());
    idle_clients_are_ended(PoolTcpServer::builder());
}

#[test]
fn event_loop_server() {
    a_client_in_the_backlog_is_served(EventLoopTcpServer::builder());
    a_client_in_the_backlog_is_served(EventLoopTcpServer::builder().loops(2));
    large_reply_in_progress_arrives_whole(EventLoopTcpServer::builder());
    clients_that_never_read_do_not_keep_the_server_alive(Server::<
        Tcp,
        EventLoop<BigReply>,
        BigReply,
    >::builder());
    idle_clients_are_ended(EventLoopTcpServer::builder());
}
