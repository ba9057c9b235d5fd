//! Request handlers: Python's `BaseRequestHandler` and its stream and datagram helpers.
//!
//! A server makes one handler value per request with the [`HandlerFactory`] it was given
//! (a closure `|| handler` is one), then calls [`setup`](RequestHandler::setup),
//! [`handle`](RequestHandler::handle) and [`finish`](RequestHandler::finish). Implement
//! [`StreamHandler`] for TCP and Unix stream servers and [`DatagramHandler`] for UDP and
//! Unix datagram servers; a closure `|req| -> io::Result<()>` is a handler too. The hooks
//! around requests (`verify_request`, `handle_error`, ...) are the factory's methods.

use std::any::Any;
use std::io;
use std::panic::{self, AssertUnwindSafe};

use crate::Error;

mod connection;
mod datagram;
mod factory;
mod receiver;
#[cfg(feature = "http")]
mod send_file;
mod socket_io;
mod stream;

pub use connection::Connection;
pub use datagram::{DatagramHandler, DatagramRequest, DatagramSocket};
pub use factory::{default_handle_error, HandlerFactory};
pub(crate) use receiver::{DatagramReceiver, Received};
#[cfg(feature = "http")]
pub(crate) use send_file::file_ended;
pub(crate) use socket_io::Stream;
pub use socket_io::{SocketReader, SocketWriter};
pub use stream::{StreamHandler, StreamRequest};

/// The handler protocol every server runs (Python's `BaseRequestHandler`).
///
/// `R` is the request type: [`StreamRequest`] or [`DatagramRequest`]. You rarely implement
/// this trait directly: implement [`StreamHandler`] or [`DatagramHandler`], which give it to
/// you.
///
/// The order is Python's: `setup`, then `handle`, then `finish`. `finish` runs even when
/// `handle` fails or panics; when `setup` fails, neither `handle` nor `finish` runs. Every
/// error and panic goes to the server's `handle_error`.
pub trait RequestHandler<R>: Send + 'static {
    /// Called before [`handle`](Self::handle). Does nothing by default.
    fn setup(&mut self, request: &mut R) -> io::Result<()> {
        let _ = request;
        Ok(())
    }

    /// Serves the request.
    fn handle(&mut self, request: &mut R) -> io::Result<()>;

    /// Called after [`handle`](Self::handle), even when it failed. Does nothing by default.
    fn finish(&mut self, request: &mut R) -> io::Result<()> {
        let _ = request;
        Ok(())
    }
}

/// Makes a handler with `factory`, runs `setup`/`handle`/`finish` on it, catches panics,
/// and passes every failure to `report`.
pub(crate) fn run_handler<R, H: RequestHandler<R>>(
    factory: &dyn HandlerFactory<Handler = H>,
    request: &mut R,
    report: &mut dyn FnMut(Error),
) {
    let mut handler = match panic::catch_unwind(AssertUnwindSafe(|| factory.make_handler())) {
        Ok(handler) => handler,
        Err(payload) => {
            report(Error::HandlerPanicked(panic_message(payload.as_ref())));
            return;
        }
    };
    let mut step = |f: &mut dyn FnMut() -> io::Result<()>| -> bool {
        match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(())) => true,
            Ok(Err(err)) => {
                report(Error::Io(err));
                false
            }
            Err(payload) => {
                report(Error::HandlerPanicked(panic_message(payload.as_ref())));
                false
            }
        }
    };
    if step(&mut || handler.setup(request)) {
        step(&mut || handler.handle(request));
        step(&mut || handler.finish(request));
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
