//! What the stream kinds (TCP and Unix) share: an accepted connection before its
//! handler runs, and how it becomes a [`StreamRequest`] and is closed again (Python's
//! `StreamRequestHandler.setup` and `TCPServer.shutdown_request`).

use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use super::kind::RequestContext;
use super::options::StreamOptions;
use crate::handler::Stream;
use crate::{Address, Connection, Error, Result, StreamRequest};

/// An accepted stream connection.
#[derive(Debug)]
pub struct StreamIncoming {
    pub(crate) connection: Connection,
    pub(crate) client_address: Address,
}

impl StreamIncoming {
    pub(crate) fn fd(&self) -> RawFd {
        self.connection.as_raw_fd()
    }

    /// Applies the per-connection options and registers the connection, so closing the
    /// server can end it.
    pub(crate) fn open(
        self,
        context: &RequestContext<impl AsRef<StreamOptions>>,
    ) -> Result<StreamRequest> {
        let options = context.options.as_ref();
        let connection = self.connection;
        if let Some(timeout) = options.timeout {
            connection.set_read_timeout(Some(timeout))?;
            connection.set_write_timeout(Some(timeout))?;
        }
        if options.disable_nagle_algorithm {
            if let Some(tcp) = connection.as_tcp() {
                tcp.set_nodelay(true)?;
            }
        }
        let stream = Arc::new(Stream::new(connection, options.wbufsize));
        let registration = context.connections.register(&stream);
        Ok(StreamRequest::new(
            stream,
            self.client_address,
            options.rbufsize,
            Arc::clone(&context.server),
            registration,
        ))
    }

    /// Closes a connection whose handler never ran: the client reads end-of-file.
    pub(crate) fn refuse(self) {
        let _ = self.connection.shutdown(Shutdown::Write);
    }
}

/// After the handler: sends what `wfile` holds, then shuts the connection's write half
/// (the client reads end-of-file; the descriptor closes when the request is dropped).
pub(crate) fn end<O>(
    mut request: StreamRequest,
    context: &RequestContext<O>,
    _: &mut dyn FnMut(Error),
) {
    request.flush_after_finish();
    context.connections.remove(request.registration());
    // ENOTCONN when the client already went away: nothing to report.
    let _ = request.connection().shutdown(Shutdown::Write);
}

impl AsRef<StreamOptions> for StreamOptions {
    fn as_ref(&self) -> &StreamOptions {
        self
    }
}
