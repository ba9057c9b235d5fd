//! [`HttpConnection`]: one connection of an HTTP server, and the keep-alive loop of
//! Python's `BaseHTTPRequestHandler.handle`: read a head, check how the body is framed,
//! dispatch to the handler, complete the response, skip what the handler left of the
//! body, and go on while the connection may stay open.

use std::any::Any;
use std::io::{self, Read};
use std::net::Shutdown;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::body::BodyState;
use super::errors::answer_reject;
use super::exchange::Exchange;
use super::head::{read_head, Head, ReadHead};
use super::server::HttpOptions;
use super::{HttpHandler, HttpRequest};
use crate::{RequestHandler, StreamRequest};

/// A connection as an HTTP server's handler gets it: the stream and the server's HTTP
/// options. The server makes one per connection and runs its [`HttpHandler`] on every
/// request that comes over it.
pub struct HttpConnection {
    /// The connection (its `rfile`, `wfile` and client address).
    pub stream: StreamRequest,
    options: Arc<HttpOptions>,
}

impl HttpConnection {
    pub(crate) fn new(stream: StreamRequest, options: Arc<HttpOptions>) -> Self {
        HttpConnection { stream, options }
    }

    /// Serves requests until the connection ends.
    fn serve<H: HttpHandler>(&mut self, handler: &mut H) -> io::Result<()> {
        let stream = &mut self.stream;
        let options = &*self.options;
        let limits = &options.limits;
        let server_version = options.server_version.as_str();
        loop {
            let head = match read_head(&mut stream.rfile, limits)? {
                ReadHead::Request(head) => head,
                ReadHead::Closed => return Ok(()),
                ReadHead::Rejected(reject) => {
                    answer_reject(stream, &reject, server_version);
                    linger_close(stream);
                    return Ok(());
                }
            };
            let body = match BodyState::framing(&head, limits) {
                Ok(body) => body,
                Err(refusal) => {
                    refuse_body(stream, head, refusal, server_version)?;
                    linger_close(stream);
                    return Ok(());
                }
            };
            let request = HttpRequest::new(stream, head, body, server_version);
            match serve_request(handler, request) {
                Ok(Served::KeepAlive) => {}
                Ok(Served::Close { linger }) => {
                    if linger {
                        linger_close(stream);
                    }
                    return Ok(());
                }
                Err(Failed::Error(err)) => return Err(err),
                // The server catches it again and reports it through handle_error.
                Err(Failed::Panic(payload)) => panic::resume_unwind(payload),
            }
        }
    }
}

/// Answers a request whose body cannot be framed (`BodyState::framing`'s refusal); the
/// connection closes after it.
pub(crate) fn refuse_body(
    stream: &mut dyn Exchange,
    head: Head,
    (status, message): (u16, String),
    server_version: &str,
) -> io::Result<()> {
    let mut request = HttpRequest::new(stream, head, BodyState::EMPTY, server_version);
    request.send_error(status, Some(&message))?;
    request.finish_response().map(drop)
}

/// What became of a request whose handler ran.
pub(crate) enum Served {
    /// The connection can carry another request.
    KeepAlive,
    /// The connection ends; `linger`: the client may still be sending a body nobody
    /// read, so drain it before closing (see `linger_close`).
    Close { linger: bool },
}

/// A handler that failed; the client has had its `500` (or `400`/`413`) when it could.
pub(crate) enum Failed {
    Error(io::Error),
    Panic(Box<dyn Any + Send>),
}

/// Runs the handler on one request, completes the response, logs it, and skips what the
/// handler left of the body: Python's `handle_one_request`, for every kind of server.
pub(crate) fn serve_request<H: HttpHandler>(
    handler: &mut H,
    mut request: HttpRequest<'_>,
) -> Result<Served, Failed> {
    let handled = panic::catch_unwind(AssertUnwindSafe(|| handler.handle(&mut request)));
    match handled {
        Ok(Ok(())) => {}
        Ok(Err(err)) if request.body_refused() => {
            // The client's fault, not the handler's: 400 or 413, then close.
            log::debug!("{}: {err}", request.client_address());
            request.answer_failure();
            return Ok(Served::Close { linger: true });
        }
        Ok(Err(err)) => {
            if !client_gone(&err) {
                request.answer_failure();
            }
            return Err(Failed::Error(err));
        }
        Err(payload) => {
            request.answer_failure();
            return Err(Failed::Panic(payload));
        }
    }
    let keep_alive = request.finish_response().map_err(Failed::Error)?;
    if keep_alive && request.skip_unread_body().map_err(Failed::Error)? {
        return Ok(Served::KeepAlive);
    }
    Ok(Served::Close {
        linger: request.body_unread(),
    })
}

impl std::fmt::Debug for HttpConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConnection")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

/// An [`HttpHandler`] serves an HTTP server's connections: the keep-alive loop above.
impl<H: HttpHandler> RequestHandler<HttpConnection> for H {
    fn handle(&mut self, connection: &mut HttpConnection) -> io::Result<()> {
        match connection.serve(self) {
            Err(err) if client_gone(&err) => {
                log::debug!(
                    "{}: client went away: {err}",
                    connection.stream.client_address
                );
                Ok(())
            }
            // Python's "Request timed out": the connection ends, handle_error is not called.
            Err(err) if timed_out(&err) => {
                log::info!(
                    "{}: request timed out: {err}",
                    connection.stream.client_address
                );
                Ok(())
            }
            other => other,
        }
    }
}

/// How long a refused connection is drained before it closes.
const LINGER: Duration = Duration::from_millis(500);
/// How much of a refused connection's input is drained at most.
const LINGER_BYTES: usize = 1 << 20;

/// Closing a socket with unread input makes the kernel reset the connection, and a reset
/// can destroy the response before the client has read it. So: send the response and
/// shut the write half (the client sees the end of the response), then read and drop
/// what the client is still sending, for a short bounded while.
fn linger_close(stream: &mut StreamRequest) {
    use std::io::Write;
    if stream.wfile.flush().is_err() {
        return;
    }
    let connection = stream.connection();
    if connection.shutdown(Shutdown::Write).is_err()
        || connection.set_read_timeout(Some(LINGER)).is_err()
    {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut drained = 0;
    let mut buf = [0; 8192];
    while drained < LINGER_BYTES && Instant::now() < deadline {
        match stream.rfile.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// A read or write failed because the client went away: the normal end of a connection.
pub(crate) fn client_gone(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
    )
}

fn timed_out(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
