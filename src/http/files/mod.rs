//! The building blocks of a static file server (Python's `SimpleHTTPRequestHandler`,
//! `python -m http.server`): mapping a request target to a file inside the served
//! directory ([`path`]), `Range` requests ([`range`]), `If-Modified-Since` and
//! `Last-Modified` ([`conditional`]), directory listings ([`listing`]) and content
//! types ([`mime`]).
//!
//! Each part is a pure function of its inputs (a header value, a file's metadata, a
//! directory) so it can be tested alone; [`send`] answers with one file
//! ([`HttpRequest::send_file`](crate::http::HttpRequest::send_file)) and [`FileServer`]
//! puts them all together.

pub(crate) mod conditional;
pub(crate) mod listing;
pub(crate) mod mime;
pub(crate) mod path;
pub(crate) mod range;
pub(crate) mod send;
mod server;

pub use server::FileServer;
