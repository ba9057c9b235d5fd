//! Platform code. Only Unix is supported so far: the serving loop registers raw
//! descriptors with mio, and forking is Unix-only.

#[cfg(unix)]
mod signal;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use signal::*;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(not(unix))]
compile_error!("socketserver supports Unix-like systems only for now");
