//! Unix specifics, each behind one small function: errno classes, the loop's wake-up
//! descriptor, descriptor checks for inherited sockets, and a read
//! into a buffer's spare capacity.
//!
//! One file per concern: `errors` (errno classes and `check`, the helper every call goes
//! through), `fd` (descriptors), `poll` (waiting on descriptors), `process` (the process
//! id and local time), `socket` (socket options and accept), `transfer` (reads and sends
//! std lacks) and `wake` (the loops' wake-up descriptor).

mod errors;
mod fd;
mod poll;
mod process;
mod socket;
mod transfer;
mod wake;

pub(crate) use errors::*;
pub(crate) use fd::*;
pub(crate) use poll::*;
pub(crate) use process::*;
pub(crate) use socket::*;
pub(crate) use transfer::*;
pub(crate) use wake::*;
