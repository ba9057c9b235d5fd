//! Which backend serves: the one asked for where the kernel allows it, epoll (with one
//! warning) where io_uring is refused, and the same echo either way.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{Backend, Context, EventHandler, EventLoopTcpServer};
use crate::ServerBuilder;

struct Echo;

impl EventHandler for Echo {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        ctx.send(line);
        Ok(())
    }
}

type Builder = ServerBuilder<crate::server::Tcp, super::EventLoop<Echo>, Echo>;

/// Serves `builder`'s server, does echo round trips on two connections (one large
/// line, so sends and receives span several buffers), and returns the backend that
/// served.
fn serve(builder: Builder) -> Backend {
    let server = builder.bind("127.0.0.1:0", || Echo).expect("bind");
    let addr = server.local_addr().expect("local_addr");
    let handle = server.shutdown_handle();
    std::thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever());
        let mut clients: Vec<_> = (0..2)
            .map(|_| {
                let client = TcpStream::connect(addr).expect("connect");
                client
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                client
            })
            .collect();
        let big = format!("{}\n", "x".repeat(300_000));
        for round in 0..3 {
            for (n, client) in clients.iter_mut().enumerate() {
                let line = if round == 1 {
                    big.clone()
                } else {
                    format!("{n} {round}\n")
                };
                client.write_all(line.as_bytes()).expect("write");
                let mut reply = String::new();
                BufReader::new(&*client)
                    .read_line(&mut reply)
                    .expect("read");
                assert_eq!(reply, line);
            }
        }
        handle.shutdown();
        serving
            .join()
            .expect("serving thread")
            .expect("serve_forever");
    });
    server.backend()
}

#[test]
fn epoll_serves_when_asked_for() {
    let builder = EventLoopTcpServer::<Echo>::builder().backend(Backend::Epoll);
    assert_eq!(serve(builder), Backend::Epoll);
}

#[test]
fn a_refused_io_uring_falls_back_to_epoll() {
    let builder = EventLoopTcpServer::<Echo>::builder()
        .backend(Backend::IoUring)
        .refuse_uring();
    assert_eq!(serve(builder), Backend::Epoll);
}

#[cfg(feature = "io-uring")]
#[test]
fn io_uring_serves_when_the_kernel_allows_it() {
    // The test machines allow io_uring; where a sandbox does not, this says so.
    if let Err(err) = super::uring::Uring::new(false) {
        panic!("io_uring is refused here ({err}): this test needs a kernel that allows it");
    }
    let builder = EventLoopTcpServer::<Echo>::builder().backend(Backend::IoUring);
    assert_eq!(builder.mode.config.backend, Backend::IoUring);
    assert_eq!(serve(builder), Backend::IoUring);
}

#[cfg(not(feature = "io-uring"))]
#[test]
fn without_the_feature_io_uring_falls_back_to_epoll() {
    let builder = EventLoopTcpServer::<Echo>::builder().backend(Backend::IoUring);
    assert_eq!(serve(builder), Backend::Epoll);
}

#[test]
fn the_environment_picks_the_default() {
    // Only reads the variable: setting it would race with the other tests.
    let expected = match std::env::var("SOCKETSERVER_BACKEND").as_deref() {
        Ok("io_uring" | "io-uring" | "uring" | "iouring") => Backend::IoUring,
        _ => Backend::Epoll,
    };
    assert_eq!(Backend::from_env(), expected);
    let server = EventLoopTcpServer::bind("127.0.0.1:0", || Echo).expect("bind");
    assert_eq!(
        server.backend(),
        expected,
        "before serving: the one asked for"
    );
}
