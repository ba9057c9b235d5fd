//! Built without the `io-uring` feature: the backend's type has no values, so the loop's
//! `if let Some(uring)` branches are never taken and compile to nothing.

use std::io;
use std::os::fd::RawFd;
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Events, Poll};

use super::event_loop::{Loop, Stop};
use super::EventHandler;
use crate::Result;

/// No ring: uninhabited.
#[derive(Debug)]
pub(crate) enum Uring {}

impl Uring {
    /// Always refused: the feature is off.
    pub(crate) fn new(_refuse: bool) -> io::Result<Self> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "socketserver was built without the io-uring feature",
        ))
    }

    pub(crate) fn add(&mut self, _key: usize, _fd: RawFd, _serial: u64) {
        match *self {}
    }

    pub(crate) fn recv(&mut self, _key: usize, _buf: &mut [u8]) -> io::Result<usize> {
        match *self {}
    }

    pub(crate) fn sender(&mut self, _key: usize) -> io::Sink {
        match *self {}
    }

    pub(crate) fn forget(&mut self, _key: usize, _socket: TcpStream) {
        match *self {}
    }

    pub(crate) fn is_sending(&self, _key: usize) -> bool {
        match *self {}
    }
}

impl<H: EventHandler> Loop<H> {
    pub(super) fn run_uring(
        &mut self,
        _poll: &mut Poll,
        _listener: RawFd,
        _stop: &dyn Stop,
    ) -> Result<()> {
        Ok(())
    }

    pub(super) fn uring_drain_turn(&mut self, _: &mut Poll, _: &mut Events, _: Instant) {}

    pub(super) fn uring_begin(&mut self) -> Result<()> {
        Ok(())
    }

    pub(super) fn uring_end(&mut self, _: &mut Poll, _: &mut Events) {}
}
