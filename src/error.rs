//! The crate's error type.
//!
//! Handler code returns [`std::io::Result`], so `?` works on socket I/O the way a raised
//! exception does in a Python handler. Server-level calls return [`Result`], whose [`Error`]
//! wraps those I/O errors and adds the failures that are the crate's own.

use std::io;

/// What can go wrong in a server or a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error: binding, accepting, reading or writing.
    #[error(transparent)]
    Io(#[from] io::Error),

    /// A request handler panicked. The panic was caught; the server keeps serving.
    #[error("handler panicked: {0}")]
    HandlerPanicked(String),

    /// A datagram was longer than the server's `max_packet_size`. Python truncates it
    /// silently; this crate drops it and reports it.
    /// `handle_error` receives it with the sender's address.
    #[error("datagram larger than max_packet_size ({max_packet_size} bytes); dropped")]
    DatagramTooLarge {
        /// The limit it exceeded.
        max_packet_size: usize,
    },

    /// `serve_forever` or `handle_request` was called while another call is serving.
    #[error("the server is already serving on another thread")]
    AlreadyServing,

    /// An address given to `bind` resolved to no socket address.
    #[error("address resolved to no socket address")]
    NoAddress,
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err {
            Error::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
