//! [`Serve`]: the lifecycle every server shares, whatever its kind and mode, so one
//! function can run any server.

use std::io;

use super::ShutdownHandle;
use crate::Result;

/// What every server does, whatever serves its requests: the blocking modes
/// ([`TcpServer`](crate::TcpServer), [`ThreadingTcpServer`](crate::ThreadingTcpServer),
/// [`PoolTcpServer`](crate::PoolTcpServer), [`ForkingTcpServer`](crate::ForkingTcpServer),
/// their UDP and Unix siblings, the HTTP servers) and the
/// [`EventLoopTcpServer`](crate::EventLoopTcpServer).
///
/// Every server has these as inherent methods too, so the trait is only needed by code
/// that takes any of them: switching the model stays one word.
///
/// ```
/// use socketserver::{PoolTcpServer, Serve, StreamRequest, ThreadingTcpServer};
/// use std::io::{Read, Write};
/// use std::net::SocketAddr;
///
/// /// Serves one greeting on any TCP server, then stops it.
/// fn greet_once<S>(server: S) -> socketserver::Result<String>
/// where
///     S: Serve<Addr = SocketAddr> + 'static,
/// {
///     let addr = server.local_addr()?;
///     let stop = server.shutdown_handle();
///     let serving = std::thread::spawn(move || server.run());
///     let mut greeting = String::new();
///     std::net::TcpStream::connect(addr)?.read_to_string(&mut greeting)?;
///     stop.shutdown();
///     serving.join().unwrap()?;
///     Ok(greeting)
/// }
///
/// let hello = || |req: &mut StreamRequest| req.wfile.write_all(b"hi\n");
/// assert_eq!(greet_once(ThreadingTcpServer::bind("127.0.0.1:0", hello)?)?, "hi\n");
/// assert_eq!(greet_once(PoolTcpServer::bind("127.0.0.1:0", hello)?)?, "hi\n");
/// # Ok::<(), socketserver::Error>(())
/// ```
pub trait Serve: Send + Sync {
    /// What [`local_addr`](Self::local_addr) returns.
    type Addr;

    /// The address the server is bound to.
    fn local_addr(&self) -> io::Result<Self::Addr>;

    /// A handle that stops [`serve_forever`](Self::serve_forever) from any thread.
    fn shutdown_handle(&self) -> ShutdownHandle;

    /// Handles requests until a [`ShutdownHandle`] (or a signal) stops it.
    fn serve_forever(&self) -> Result<()>;

    /// Makes idle requests end (their handlers read end-of-file); returns how many
    /// connections were asked.
    fn close_connections(&self) -> usize;

    /// Closes the server: its socket, and whatever its mode waits for on close.
    fn server_close(self)
    where
        Self: Sized;

    /// Stops the server for good, bounded by its drain timeout, losing no reply that can
    /// be delivered; returns how many requests were still running at the deadline.
    fn close_gracefully(self) -> usize
    where
        Self: Sized;

    /// `serve_forever`, then `close_gracefully`: the whole life of a server.
    fn run(self) -> Result<()>
    where
        Self: Sized,
    {
        let served = self.serve_forever();
        self.close_gracefully();
        served
    }
}
