//! [`Iterative`]: Python's plain `TCPServer`, each request on the serving thread, one at a
//! time; and its stop watcher.
//!
//! While an iterative server runs a request, its loop is inside the handler and cannot
//! act on a stop. So beside `serve_forever` a watcher thread waits for the stop (on the
//! loop's wake-up descriptor) and does for the request in progress what a graceful stop
//! does for the other modes' requests: lets it run for a moment, ends its reads (an idle
//! client's handler sees end-of-file), and past the drain timeout shuts its connection
//! down both ways. The loop then returns as soon as the handler does.

use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::connections::Connections;
use super::kind::SocketKind;
use super::mode::{Blocking, Mode, Sealed};
use super::request::Request;
use super::shutdown::ShutdownState;
use super::STOP_GRACE;
use crate::handler::RequestHandler;
use crate::sys;

/// Python's plain `TCPServer`: each request runs on the serving thread, one at a time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Iterative;

impl Sealed for Iterative {}
impl Mode for Iterative {}

impl Blocking for Iterative {
    fn process_request<K: SocketKind, H: RequestHandler<K::Request>>(
        &self,
        request: Request<K, H>,
        _listener: Option<RawFd>,
    ) {
        request.run();
    }

    fn watch_stop(&self, stop: StopWatch) -> Option<StopWatching> {
        stop.start()
    }
}

/// What the stop watcher needs: the server's shutdown state, its connections, and how
/// long a graceful stop waits.
#[derive(Debug)]
pub struct StopWatch {
    pub(crate) shutdown: Arc<ShutdownState>,
    pub(crate) connections: Arc<Connections>,
    pub(crate) drain_timeout: Duration,
    /// The stop has begun already (a graceful stop's last requests): no waiting for it.
    pub(crate) begun: bool,
}

/// The running watcher; dropping it (when `serve_forever` returns) ends it.
#[derive(Debug)]
pub struct StopWatching {
    /// Dropped first: the watcher sees its peer close and returns.
    done: UnixStream,
    thread: Option<JoinHandle<()>>,
}

impl StopWatch {
    fn start(self) -> Option<StopWatching> {
        let (done, watched) = match UnixStream::pair() {
            Ok(pair) => pair,
            Err(err) => {
                log::warn!("no stop watcher ({err}): a stop waits for the request in progress");
                return None;
            }
        };
        let spawned = thread::Builder::new()
            .name("stop-watcher".to_owned())
            .spawn(move || self.watch(&watched));
        match spawned {
            Ok(thread) => Some(StopWatching {
                done,
                thread: Some(thread),
            }),
            Err(err) => {
                log::warn!("no stop watcher ({err}): a stop waits for the request in progress");
                None
            }
        }
    }

    fn watch(self, done: &UnixStream) {
        let done = done.as_raw_fd();
        // Only a stop writes to an iterative server's wake-up descriptor. The watcher
        // leaves what was written for the loop to read (were it read here, the loop's
        // poller would not report it, and the loop would notice the stop late).
        let wake = self.shutdown.wake_fd().poll_fd();
        if !self.begun {
            match sys::wait_either(done, wake, None) {
                Ok((false, true)) => {}
                _ => return,
            }
        }
        let start = Instant::now();
        // As the other modes' graceful stop: a client that has sent something is ended
        // at once, one just accepted after the grace.
        self.connections.end_reads_of_talkers();
        if ended_by(done, start + STOP_GRACE) {
            return;
        }
        self.connections.end_reads();
        if ended_by(done, start + self.drain_timeout) {
            return;
        }
        log::warn!("the request in progress outlived the drain timeout: ending its connection");
        self.connections.abort();
    }
}

/// Waits until serving ends (`done` is readable: its peer closed) or `deadline`; returns
/// whether serving ended.
fn ended_by(done: RawFd, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    matches!(
        sys::wait_either(done, -1, Some(left)),
        Ok((true, _)) | Err(_)
    )
}

impl Drop for StopWatching {
    fn drop(&mut self) {
        let _ = self.done.shutdown(std::net::Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
