//! What to do when receiving a request fails: retry, wait, back off or give up; and a
//! graceful stop's last accepts.
//!
//! Python's `_handle_request_noblock` swallows every `OSError`, so a server out of file
//! descriptors spins at 100% CPU (342,331 failed accepts in 1.3 s, nothing logged). Here
//! running out of resources pauses accepting with a growing backoff and logs once.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

pub(crate) enum AcceptError {
    /// Nothing waiting: poll.
    WouldBlock,
    /// One client's connection failed before we got it: try the next one.
    Transient,
    /// Out of descriptors or memory: pause, then try again.
    OutOfResources,
    /// The socket itself is broken: stop serving.
    Fatal,
}

pub(crate) fn classify(err: &io::Error) -> AcceptError {
    match err.kind() {
        io::ErrorKind::WouldBlock => return AcceptError::WouldBlock,
        io::ErrorKind::Interrupted
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionRefused => return AcceptError::Transient,
        _ => {}
    }
    match err.raw_os_error() {
        Some(code) if crate::sys::is_out_of_resources(code) => AcceptError::OutOfResources,
        Some(code) if crate::sys::is_transient_accept_error(code) => AcceptError::Transient,
        _ => AcceptError::Fatal,
    }
}

/// Pauses of 1 ms doubling to 100 ms while resources stay exhausted.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    pause: Option<Duration>,
}

const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

impl Backoff {
    /// Returns when to try again; logs the first failure of an episode as an error.
    pub(crate) fn pause(&mut self, err: &io::Error) -> Instant {
        let pause = match self.pause {
            None => {
                log::error!("accept failed: {err}; pausing accepts until resources free up");
                FIRST_PAUSE
            }
            Some(previous) => (previous * 2).min(LONGEST_PAUSE),
        };
        self.pause = Some(pause);
        Instant::now() + pause
    }

    pub(crate) fn resumed(&mut self) {
        if self.pause.take().is_some() {
            log::warn!("accepting again");
        }
    }
}

/// How long a graceful stop goes on taking connections once new ones are refused: a
/// handshake under way finishes within a round trip.
const HANDSHAKE_GRACE: Duration = Duration::from_millis(2);

/// A listening socket that a graceful stop takes its last connections from, before it
/// closes.
///
/// Closing a listening socket resets the connections the kernel has completed that the
/// server has not accepted yet: their clients (a balancer, say) sent a request on an
/// established connection and lose it. So new connection requests are refused first
/// (only on a socket of the server's own: a filter on a socket that other processes
/// share would refuse their clients too), then what is queued is taken, again as
/// handshakes under way complete, for [`HANDSHAKE_GRACE`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LastAccepts {
    pub(crate) fd: RawFd,
    /// The server made the socket itself: no other process has it.
    pub(crate) own: bool,
}

impl LastAccepts {
    /// Refuses new connections and calls `accept_all` (which accepts until the queue is
    /// empty or the server is full) until the grace is over.
    pub(crate) fn take(self, mut accept_all: impl FnMut()) {
        if self.own {
            if let Err(err) = crate::sys::refuse_new_connections(self.fd) {
                log::debug!("new connections are not refused while the server stops: {err}");
            }
        }
        let until = Instant::now() + HANDSHAKE_GRACE;
        loop {
            accept_all();
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let millis = i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
            if !matches!(crate::sys::wait_fd(self.fd, libc::POLLIN, millis), Ok(true)) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::time::Duration;

    #[test]
    fn a_refusing_listener_ignores_new_clients_and_keeps_the_queued_ones() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut queued = TcpStream::connect(addr).unwrap();
        crate::sys::refuse_new_connections(listener.as_raw_fd()).unwrap();
        // The new client's SYN gets no answer (a loopback handshake takes microseconds).
        let err = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        // The queued one is accepted, and its bytes pass.
        let (mut accepted, peer) = listener.accept().unwrap();
        assert_eq!(peer, queued.local_addr().unwrap());
        queued.write_all(b"still here").unwrap();
        let mut got = [0; 10];
        accepted.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"still here");
    }

    #[test]
    fn only_tcp_listeners_refuse() {
        let dir = tempfile::tempdir().unwrap();
        let unix = std::os::unix::net::UnixListener::bind(dir.path().join("s")).unwrap();
        let err = crate::sys::refuse_new_connections(unix.as_raw_fd()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    }
}
