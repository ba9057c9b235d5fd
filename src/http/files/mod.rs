//! The building blocks of a static file server (Python's `SimpleHTTPRequestHandler`,
//! `python -m http.server`): mapping a request target to a file inside the served
//! directory ([`path`]), `Range` requests ([`range`]), `If-Modified-Since` and
//! `Last-Modified` ([`conditional`]), directory listings ([`listing`]) and content
//! types ([`mime`]).
//!
//! Each part is a pure function of its inputs (a header value, a file's metadata, a
//! directory) so it can be tested alone; the HTTP handler that puts them together
//! comes next.

pub(crate) mod conditional;
pub(crate) mod listing;
pub(crate) mod mime;
pub(crate) mod path;
pub(crate) mod range;
