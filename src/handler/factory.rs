//! [`HandlerFactory`]: what a server is given to make its handlers, and the hooks Python's
//! servers are subclassed for (`verify_request`, `handle_error`, `service_actions`,
//! `handle_timeout`).
//!
//! In Python the handler class is instantiated once per request and the server's methods
//! are overridden in a subclass. Here the factory plays both parts: it makes one handler
//! per request, and its other methods are the hooks. A closure `|| handler` is a factory
//! with every hook at its default; implement the trait on a type of your own to change a
//! hook, with the state it needs in its fields.

use std::io;

use crate::{Address, Error};

/// Makes one handler per request, and decides what happens around requests.
///
/// ```
/// use socketserver::{Address, HandlerFactory, StreamRequest, TcpServer};
/// use std::io::Write;
///
/// /// Serves loopback clients only (Python's `verify_request` override).
/// struct LoopbackOnly;
///
/// impl HandlerFactory for LoopbackOnly {
///     type Handler = fn(&mut StreamRequest) -> std::io::Result<()>;
///
///     fn make_handler(&self) -> Self::Handler {
///         |req| req.wfile.write_all(b"hello, neighbour\n")
///     }
///
///     fn verify_request(&self, client: &Address) -> bool {
///         client.as_inet().is_some_and(|addr| addr.ip().is_loopback())
///     }
/// }
///
/// let server = TcpServer::bind("127.0.0.1:0", LoopbackOnly)?;
/// let mut client = std::net::TcpStream::connect(server.local_addr()?)?;
/// server.handle_request()?;
/// let mut greeting = String::new();
/// std::io::Read::read_to_string(&mut client, &mut greeting)?;
/// assert_eq!(greeting, "hello, neighbour\n");
/// # Ok::<(), socketserver::Error>(())
/// ```
pub trait HandlerFactory: Send + Sync + 'static {
    /// The handler made for each request: a
    /// [`StreamHandler`](crate::StreamHandler), a
    /// [`DatagramHandler`](crate::DatagramHandler), an `http::HttpHandler` or an
    /// [`EventHandler`](crate::EventHandler), as the server serves.
    type Handler: Send + 'static;

    /// Makes the handler of one request (Python instantiates `RequestHandlerClass`).
    fn make_handler(&self) -> Self::Handler;

    /// Decides, before a handler is made, whether to serve a client (Python's
    /// `verify_request`). A refused request is closed without a handler. Default: serve
    /// everyone.
    fn verify_request(&self, client: &Address) -> bool {
        let _ = client;
        true
    }

    /// Receives every error and panic of a request (Python's `handle_error`). The
    /// default is [`default_handle_error`].
    fn handle_error(&self, client: &Address, error: &Error) {
        default_handle_error(client, error);
    }

    /// Runs on every turn of a blocking server's `serve_forever`, at least every
    /// `poll_interval` (Python's `service_actions`). Default: nothing.
    fn service_actions(&self) {}

    /// Runs when `handle_request` times out (Python's `handle_timeout`). Default: nothing.
    fn handle_timeout(&self) {}
}

impl<F, H> HandlerFactory for F
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Send + 'static,
{
    type Handler = H;

    fn make_handler(&self) -> H {
        self()
    }
}

/// Python prints a traceback to stderr for every error; here errors go to the log, and a
/// client that simply went away (reset, broken pipe) is logged at debug level only.
///
/// When the application has installed no logger, a real error (a handler's failure or
/// panic, a datagram too large) is printed on stderr instead, so it is never lost
/// silently. What is routine on a server facing the network stays in the log only: a
/// client that went away (debug) and a connection refused before its handler ran, such as
/// a failed TLS handshake or a missing PROXY header (info). An application that installs a
/// logger (or overrides [`HandlerFactory::handle_error`]) decides for itself.
pub fn default_handle_error(client: &Address, err: &Error) {
    if client_went_away(err) {
        log::debug!("client {client} went away: {err}");
    } else if is_refused_setup(err) {
        // Scanners, plaintext clients on a TLS port, a connection without its PROXY
        // header: worth a line, not an alarm.
        log::info!("client {client}: {err}");
    } else if log::max_level() == log::LevelFilter::Off {
        eprintln!("error processing request from {client}: {err}");
    } else {
        log::error!("error processing request from {client}: {err}");
    }
}

/// A connection closed before its handler ran: a failed TLS handshake or PROXY header.
fn is_refused_setup(err: &Error) -> bool {
    #[cfg(feature = "tls")]
    if matches!(err, Error::Tls(_)) {
        return true;
    }
    matches!(err, Error::Proxy(_))
}

/// A reset or a broken pipe: the client left, which is how connections end.
fn client_went_away(err: &Error) -> bool {
    matches!(
        err.io_error().map(io::Error::kind),
        Some(
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    )
}
