//! [`Request`]: one accepted request on its way to a handler, and [`Shared`], what every
//! request of a server needs once it leaves the serving loop (the handler factory and the
//! per-request options). Modes move requests to threads or child processes and run them
//! there; nothing else about a request differs between modes.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use super::kind::{RequestContext, SocketKind};
use super::ShutdownHandle;
use crate::handler::{panic_message, run_handler, HandlerFactory, RequestHandler};
use crate::{Address, Error};

/// What makes handlers and what requests see of their server, shared with the threads
/// that run requests.
pub(crate) struct Shared<K: SocketKind, H> {
    pub(crate) factory: Box<dyn HandlerFactory<Handler = H>>,
    pub(crate) context: RequestContext<K::Options>,
}

impl<K: SocketKind, H: Send + 'static> Shared<K, H> {
    /// Python's `handle_error`; a panic in the hook itself is logged, not propagated.
    pub(crate) fn report(&self, client: &Address, err: &Error) {
        let reported =
            panic::catch_unwind(AssertUnwindSafe(|| self.factory.handle_error(client, err)));
        if let Err(payload) = reported {
            log::error!(
                "handle_error panicked while reporting on {client}: {}",
                panic_message(payload.as_ref())
            );
        }
    }
}

/// An accepted request, ready to run on any thread or in a forked child.
pub struct Request<K: SocketKind, H> {
    incoming: K::Incoming,
    shared: Arc<Shared<K, H>>,
}

impl<K: SocketKind, H: RequestHandler<K::Request>> Request<K, H> {
    pub(crate) fn new(incoming: K::Incoming, shared: &Arc<Shared<K, H>>) -> Self {
        Request {
            incoming,
            shared: Arc::clone(shared),
        }
    }

    /// Who sent the request.
    pub(crate) fn client_address(&self) -> &Address {
        K::client_address(&self.incoming)
    }

    /// Wakes the server's loop (a mode whose slot frees at its limit).
    pub(crate) fn wake_handle(&self) -> &ShutdownHandle {
        self.shared.context.server.shutdown_handle()
    }

    /// Runs the handler (Python's `finish_request`, then `shutdown_request`). Every error
    /// and panic goes to `handle_error`; nothing escapes.
    pub(crate) fn run(self) {
        let Request {
            mut incoming,
            shared,
        } = self;
        let mut address = K::client_address(&incoming).clone();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            if K::has_preamble(&shared.context.options) {
                if let Err(err) = K::preamble(&mut incoming, &shared.context.options) {
                    shared.report(&address, &err);
                    K::refuse(incoming);
                    return;
                }
                address = K::client_address(&incoming).clone();
                if !shared.factory.verify_request(&address) {
                    log::debug!("verify_request refused {address}");
                    K::refuse(incoming);
                    return;
                }
            }
            let mut report = |err: Error| shared.report(&address, &err);
            match K::open(incoming, &shared.context) {
                Ok(mut request) => {
                    run_handler(shared.factory.as_ref(), &mut request, &mut report);
                    K::end(request, &shared.context, &mut report);
                }
                Err(err) => report(err),
            }
        }));
        if let Err(payload) = outcome {
            log::error!(
                "a request from {address} panicked outside its handler: {}",
                panic_message(payload.as_ref())
            );
        }
    }

    /// Closes the request without running the handler (Python's `shutdown_request` for a
    /// request `verify_request` refused, or one that could not be dispatched).
    pub(crate) fn refuse(self) {
        K::refuse(self.incoming);
    }

    /// The connection's descriptor (stream requests), for a forked child to end its
    /// reads when the server closes connections.
    pub(crate) fn connection_fd(&self) -> Option<std::os::fd::RawFd> {
        K::connection_fd(&self.incoming)
    }
}

impl<K: SocketKind, H> std::fmt::Debug for Request<K, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("client_address", K::client_address(&self.incoming))
            .finish_non_exhaustive()
    }
}
