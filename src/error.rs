//! The crate's error type.
//!
//! Handler code returns [`std::io::Result`], so `?` works on socket I/O the way a raised
//! exception does in a Python handler. Server-level calls return [`Result`], whose [`Error`]
//! wraps those I/O errors and adds the failures that are the crate's own.
//!
//! An `Error` prints the same readable sentence with `{}` and `{:?}`, so that
//! `fn main() -> socketserver::Result<()>` ends with `Error: cannot bind 127.0.0.1:2500:
//! address already in use` rather than a dump of the enum.

use std::fmt;
use std::io;

/// What can go wrong in a server or a request.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error: accepting, reading or writing.
    #[error("{}", describe_io(.0))]
    Io(#[from] io::Error),

    /// Binding (or adopting) the server's socket failed. `address` says where: an IP
    /// address and port, a path, or an inherited descriptor.
    #[error("cannot bind {address}: {}", describe_io(.source))]
    Bind {
        /// The address that could not be bound, as given.
        address: String,
        /// Why.
        source: io::Error,
    },

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

    /// A connection's PROXY protocol header was missing, malformed, late, or came from a
    /// source not trusted to send one. The connection is closed without running the
    /// handler; the server goes on.
    #[error("PROXY protocol: {0}")]
    Proxy(String),

    /// A certificate, key or roots file for TLS is missing, unreadable, or wrong (feature
    /// `tls`).
    #[cfg(feature = "tls")]
    #[error("TLS file {}: {problem}", path.display())]
    TlsFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: crate::tls::TlsFileError,
    },

    /// A client's TLS handshake failed: it stalled past the handshake timeout, spoke
    /// plaintext or garbage, or was refused (a missing client certificate). Its connection
    /// is closed; the server goes on.
    #[cfg(feature = "tls")]
    #[error("TLS: {0}")]
    Tls(String),

    /// An address given to `bind` resolved to no socket address.
    #[error("{0}: address resolved to no socket address")]
    NoAddress(String),
}

impl fmt::Debug for Error {
    /// The same sentence as `Display`: what `main` prints when it returns the error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// The I/O error underneath, if there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io(err) | Error::Bind { source: err, .. } => Some(err),
            _ => None,
        }
    }

    pub(crate) fn bind(address: impl fmt::Display, source: impl Into<io::Error>) -> Error {
        Error::Bind {
            address: address.to_string(),
            source: source.into(),
        }
    }
}

/// An OS error as a sentence: `address already in use` rather than
/// `Address already in use (os error 98)`; other errors as they print.
fn describe_io(err: &io::Error) -> String {
    let text = err.to_string();
    let Some(code) = err.raw_os_error() else {
        return text;
    };
    let text = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text.to_owned(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_errors_read_as_a_sentence_in_display_and_debug() {
        let err = Error::bind(
            "127.0.0.1:2500",
            io::Error::from_raw_os_error(libc::EADDRINUSE),
        );
        assert_eq!(
            err.to_string(),
            "cannot bind 127.0.0.1:2500: address already in use"
        );
        assert_eq!(format!("{err:?}"), err.to_string());
        assert_eq!(
            err.io_error().map(io::Error::kind),
            Some(io::ErrorKind::AddrInUse)
        );
    }

    #[test]
    fn errors_without_an_os_code_print_unchanged() {
        let err = Error::Io(io::Error::other("Something Odd"));
        assert_eq!(err.to_string(), "Something Odd");
    }
}
