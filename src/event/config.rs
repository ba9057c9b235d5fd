//! The options the event loop itself reads (its backend among them), and its buffer size: what the mode is
//! configured with (`mode.rs`) and what each loop runs by (`event_loop.rs`, the io_uring
//! backend).

use std::time::Duration;

use super::table::Limits;

/// The one read buffer of a loop: reads are at most this large (and so are the io_uring
/// backend's receive buffers, so a handler sees input cut the same way on both).
pub(crate) const READ_BUFFER: usize = 64 * 1024;

/// The options the loop itself reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) max_connections: Option<usize>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) output_limit: usize,
    pub(crate) slow_reader_limit: Option<usize>,
    pub(crate) max_line_length: usize,
    /// How many loops serve, each on its own thread.
    pub(crate) loops: usize,
    pub(crate) backend: Backend,
    /// A test hook: act as if the kernel refused io_uring.
    pub(crate) refuse_uring: bool,
}

/// Default [`output_limit`](crate::ServerBuilder::output_limit): 1 MiB.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1024 * 1024;
/// Default [`max_line_length`](crate::ServerBuilder::max_line_length): 1 MiB.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 1024 * 1024;

impl Config {
    /// The options of one loop: with several, `max_connections` is shared out.
    pub(crate) fn per_loop(&self) -> Config {
        Config {
            max_connections: self.max_connections.map(|max| max.div_ceil(self.loops)),
            ..*self
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        Limits {
            output_limit: self.output_limit,
            slow_reader_limit: self
                .slow_reader_limit
                .unwrap_or(self.output_limit.saturating_mul(4)),
            max_line_length: self.max_line_length,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_connections: None,
            idle_timeout: None,
            output_limit: DEFAULT_OUTPUT_LIMIT,
            slow_reader_limit: None,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            loops: 1,
            backend: Backend::from_env(),
            refuse_uring: false,
        }
    }
}

/// What does the event loop's I/O: set with
/// [`backend`](crate::ServerBuilder::backend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Readiness through mio (epoll on Linux, kqueue on the BSDs and macOS); the loop
    /// reads and writes each ready socket itself: a system call per read and per write.
    Epoll,
    /// Linux's io_uring (feature `io-uring`): receives into a buffer ring registered
    /// with the kernel, sends batched, one `io_uring_enter` per turn of the loop for all
    /// connections. Where it is not available (built without the feature, an old kernel,
    /// a seccomp profile or `kernel.io_uring_disabled` refusing it) the loop logs one
    /// warning and uses [`Epoll`](Self::Epoll): the server still starts. It serves one
    /// loop: with [`loops`](crate::ServerBuilder::loops) above 1, epoll is used (with a warning).
    IoUring,
}

impl Backend {
    /// The default backend: [`IoUring`](Self::IoUring) if the environment variable
    /// `SOCKETSERVER_BACKEND` is `io_uring` (or `io-uring`, `uring`), else
    /// [`Epoll`](Self::Epoll). This lets a test suite or a deployment pick the backend
    /// without changing code.
    pub fn from_env() -> Self {
        match std::env::var("SOCKETSERVER_BACKEND").as_deref() {
            Ok("io_uring" | "io-uring" | "uring" | "iouring") => Backend::IoUring,
            _ => Backend::Epoll,
        }
    }
}
