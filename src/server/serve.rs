//! [`Serve`]: the lifecycle every server shares, whatever its concurrency model, so code
//! can start and stop a server without naming which one it is.

use super::ShutdownHandle;
use crate::Result;

/// What every server does, whatever serves its requests: [`BaseServer`](crate::BaseServer)
/// alone, wrapped in [`Threading`](crate::Threading), [`Pool`](crate::Pool) or
/// [`Forking`](crate::Forking), or the [`EventLoopTcpServer`](crate::EventLoopTcpServer).
///
/// Each server has these as inherent methods too, so the trait is only needed for code
/// that takes any of them: switching the model stays one word.
///
/// ```
/// use socketserver::{PoolTcpServer, Serve, StreamRequest, ThreadingTcpServer};
/// use std::io::{Read, Write};
///
/// /// Serves one greeting on any server, then stops it.
/// fn greet_once(server: impl Serve + 'static, addr: std::net::SocketAddr) -> socketserver::Result<String> {
///     let stop = server.shutdown_handle();
///     let serving = std::thread::spawn(move || {
///         server.serve_forever()?;
///         server.server_close();
///         Ok::<_, socketserver::Error>(())
///     });
///     let mut greeting = String::new();
///     std::net::TcpStream::connect(addr)?.read_to_string(&mut greeting)?;
///     stop.shutdown();
///     serving.join().unwrap()?;
///     Ok(greeting)
/// }
///
/// let hello = || |req: &mut StreamRequest| req.wfile.write_all(b"hi\n");
/// let threading = ThreadingTcpServer::bind("127.0.0.1:0", hello)?;
/// let addr = threading.local_addr()?;
/// assert_eq!(greet_once(threading, addr)?, "hi\n");
/// let pool = PoolTcpServer::bind("127.0.0.1:0", hello)?;
/// let addr = pool.local_addr()?;
/// assert_eq!(greet_once(pool, addr)?, "hi\n");
/// # Ok::<(), socketserver::Error>(())
/// ```
pub trait Serve: Send + Sync {
    /// Handles requests until a [`ShutdownHandle`] stops it.
    fn serve_forever(&self) -> Result<()>;

    /// A handle that stops [`serve_forever`](Self::serve_forever) from any thread.
    fn shutdown_handle(&self) -> ShutdownHandle;

    /// Closes the server: its socket, and whatever its model waits for on close.
    fn server_close(self)
    where
        Self: Sized;
}
