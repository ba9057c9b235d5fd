//! What the stream kinds (TCP and Unix) share: an accepted connection before its
//! handler runs, and how it becomes a [`StreamRequest`] and is closed again (Python's
//! `StreamRequestHandler.setup` and `TCPServer.shutdown_request`).

use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use super::kind::RequestContext;
use super::options::StreamOptions;
use crate::handler::Stream;
use crate::proxy::ProxyHeader;
use crate::{Address, Connection, Error, Result, StreamRequest};

/// An accepted stream connection.
#[derive(Debug)]
pub struct StreamIncoming {
    pub(crate) connection: Connection,
    pub(crate) client_address: Address,
    /// The PROXY header, once read.
    pub(crate) proxy_header: Option<Box<ProxyHeader>>,
}

impl StreamIncoming {
    pub(crate) fn new(connection: Connection, client_address: Address) -> Self {
        StreamIncoming {
            connection,
            client_address,
            proxy_header: None,
        }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.connection.as_raw_fd()
    }

    /// Whether a PROXY header comes first.
    pub(crate) fn has_preamble(options: &StreamOptions) -> bool {
        options.proxy.is_some()
    }

    /// Reads the PROXY header; its source becomes the client address (a `LOCAL` or
    /// `UNKNOWN` header keeps the socket's peer).
    pub(crate) fn read_preamble(&mut self, options: &StreamOptions) -> Result<()> {
        let Some(config) = &options.proxy else {
            return Ok(());
        };
        let header = crate::proxy::read_header(&self.connection, &self.client_address, config)?;
        if let Some(source) = header.source {
            self.client_address = Address::Inet(source);
        }
        self.proxy_header = Some(Box::new(header));
        Ok(())
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
        let stream = Stream::new(connection, options.wbufsize);
        #[cfg(feature = "tls")]
        let stream = match &options.tls {
            Some(config) => with_tls(stream, config, options.timeout)?,
            None => stream,
        };
        let stream = Arc::new(stream);
        let registration = context.connections.register(&stream);
        let mut request = StreamRequest::new(
            stream,
            self.client_address,
            options.rbufsize,
            Arc::clone(&context.server),
            registration,
        );
        request.proxy_header = self.proxy_header;
        Ok(request)
    }

    /// Closes a connection whose handler never ran: the client reads end-of-file.
    pub(crate) fn refuse(self) {
        let _ = self.connection.shutdown(Shutdown::Write);
    }
}

/// The TLS handshake on a new connection. Not inlined into `open`: its frame (rustls'
/// state is kilobytes) would make every plain connection's thread touch that much more
/// stack, memory a held connection keeps.
#[cfg(feature = "tls")]
#[inline(never)]
fn with_tls(
    stream: Stream,
    config: &crate::tls::TlsConfig,
    timeout: Option<std::time::Duration>,
) -> Result<Stream> {
    let session = Box::new(crate::tls::TlsSession::handshake(
        &stream.connection,
        config,
    )?);
    // The handshake set timeouts of its own; TLS reads wait with the socket's.
    stream.connection.set_read_timeout(timeout)?;
    stream.connection.set_write_timeout(timeout)?;
    Ok(stream.with_tls(session))
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
    request.stream().end_writes();
}

impl AsRef<StreamOptions> for StreamOptions {
    fn as_ref(&self) -> &StreamOptions {
        self
    }
}
