//! The contenders: one row each. Adding a mode of the crate is one entry here plus, for
//! an in-binary server, a function in `servers/`.
//!
//! A row, in the order of `c(...)` below:
//! ```text
//! c(
//!     "ss-pool",                                    // CSV / BENCH_ONLY id
//!     "socketserver PoolTcpServer (160 workers)",   // report row
//!     Crate,                                        // Crate, HandWritten, Python, Tokio
//!     Some("std-pool"),                             // the hand-written twin's id
//!     InBinary(servers::socketserver::tcp_pool),    // or Script("file.py")
//!     TCP_POOLED,                                   // the scenarios it can serve
//! ),
//! ```

use std::io;

use crate::scenarios::Kind::{self, *};
use crate::servers;

/// Who wrote the server: ratios are taken against Python, the hand-written twin and tokio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Crate,
    HandWritten,
    Python,
    Tokio,
}

/// How to start the server process.
#[derive(Debug, Clone, Copy)]
pub enum Launch {
    /// A function of this binary, run as `compare --serve ID` in a child process.
    InBinary(fn() -> io::Result<()>),
    /// A script in `benches/python/`, run with `python3`.
    Script(&'static str),
    /// The same contender (by id) in another build of this benchmark, `BENCH_BASELINE`:
    /// an earlier commit measured side by side with this one.
    Baseline(&'static str),
}

#[derive(Debug, Clone)]
pub struct Contender {
    pub id: &'static str,
    pub label: &'static str,
    pub family: Family,
    /// The id of the hand-written server this one replaces.
    pub twin: Option<&'static str>,
    pub launch: Launch,
    pub scenarios: &'static [Kind],
}

/// Serves any number of connections at once.
pub const TCP_CONCURRENT: &[Kind] = &[EchoC1, EchoC16, EchoC128, Echo16K, Burst, Hold];
/// An event loop: everything, 100,000 held connections included.
pub const TCP_EVENT: &[Kind] = &[EchoC1, EchoC16, EchoC128, Echo16K, Burst, Hold, HoldMany];
/// ... and short connections too.
pub const TCP_EVENT_SHORT: &[Kind] = &[
    EchoC1, EchoC16, EchoC128, Echo16K, Burst, Hold, HoldMany, Short,
];
/// A fixed pool: every ping-pong scenario fits it, holding 10,000 does not.
pub const TCP_POOLED: &[Kind] = &[EchoC1, EchoC16, EchoC128, Echo16K, Burst];
/// A process per connection: holding 10,000 processes is not what it is for.
pub const TCP_FORKING: &[Kind] = &[EchoC1, EchoC16, EchoC128, Echo16K, Burst];
/// One connection at a time: the others would wait forever in ping-pong.
pub const TCP_ITERATIVE: &[Kind] = &[EchoC1, Burst];
pub const UDP: &[Kind] = &[UdpC1, UdpC16];
/// `TCP_CONCURRENT` and short connections: the rows the PROXY cost is read against.
pub const TCP_CONCURRENT_SHORT: &[Kind] = &[EchoC1, EchoC16, EchoC128, Echo16K, Burst, Hold, Short];
/// Short connections that start with a PROXY v2 header.
pub const SHORT: &[Kind] = &[Short];
/// The rows on both cores: ping-pong with enough connections to use two, and short
/// connections.
pub const TWO_CORES: &[Kind] = &[EchoC16, EchoC128, Short];

/// Rows that run unpinned, on both cores (with the load generator on one of them).
const UNPINNED: &[&str] = &["ss-event-2loops", "tokio-tcp-2cores"];
/// Rows whose every connection starts with a PROXY protocol v2 header.
const PROXY_V2: &[&str] = &["ss-event-proxy2", "ss-threading-proxy2"];

impl Contender {
    /// Whether the server is pinned to the server CPU (most rows) or uses both cores.
    pub fn pinned(&self) -> bool {
        !UNPINNED.contains(&self.base_id())
    }

    /// Whether the load generator sends a PROXY v2 header before each connection's data.
    pub fn sends_proxy_v2(&self) -> bool {
        PROXY_V2.contains(&self.base_id())
    }

    /// The id this contender has in its own build (a baseline row's is prefixed).
    fn base_id(&self) -> &'static str {
        match self.launch {
            Launch::Baseline(id) => id,
            _ => self.id,
        }
    }
}
pub const HTTP: &[Kind] = &[Http];
#[cfg(feature = "tls")]
pub const TLS: &[Kind] = &[TlsEcho, TlsHandshake];
pub const FILES: &[Kind] = &[Files1K, Files1M];

pub fn all() -> Vec<Contender> {
    let mut all = current();
    // `BENCH_BASELINE=path/to/compare`: every crate row again, served by that build.
    if std::env::var_os("BENCH_BASELINE").is_some() {
        let baseline: Vec<Contender> = all
            .iter()
            .filter(|c| c.family == Family::Crate && matches!(c.launch, Launch::InBinary(_)))
            .map(|c| Contender {
                id: Box::leak(format!("base-{}", c.id).into_boxed_str()),
                label: Box::leak(format!("baseline: {}", c.label).into_boxed_str()),
                launch: Launch::Baseline(c.id),
                ..c.clone()
            })
            .collect();
        all.extend(baseline);
    }
    all
}

/// The contenders of this build.
fn current() -> Vec<Contender> {
    use Family::*;
    use Launch::*;
    let c = |id, label, family, twin, launch, scenarios| Contender {
        id,
        label,
        family,
        twin,
        launch,
        scenarios,
    };
    #[allow(unused_mut)] // without the tls feature nothing is added
    let mut all = vec![
        // This crate's modes.
        c(
            "ss-tcp",
            "socketserver TcpServer (iterative)",
            Crate,
            Some("std-iterative"),
            InBinary(servers::socketserver::tcp_iterative),
            TCP_ITERATIVE,
        ),
        c(
            "ss-threading",
            "socketserver ThreadingTcpServer",
            Crate,
            Some("std-thread"),
            InBinary(servers::socketserver::tcp_threading),
            TCP_CONCURRENT_SHORT,
        ),
        c(
            "ss-threading-proxy2",
            "socketserver ThreadingTcpServer, PROXY v2 header first",
            Crate,
            Some("ss-threading"),
            InBinary(servers::socketserver::tcp_threading_proxy),
            SHORT,
        ),
        c(
            "ss-threading-fmt",
            "socketserver ThreadingTcpServer, write! echo",
            Crate,
            Some("std-thread"),
            InBinary(servers::socketserver::tcp_threading_fmt),
            &[EchoC1, EchoC16, EchoC128],
        ),
        c(
            "ss-udp",
            "socketserver UdpServer (iterative)",
            Crate,
            Some("std-udp"),
            InBinary(servers::socketserver::udp_iterative),
            UDP,
        ),
        c(
            "ss-threading-udp",
            "socketserver ThreadingUdpServer",
            Crate,
            Some("std-udp-thread"),
            InBinary(servers::socketserver::udp_threading),
            UDP,
        ),
        c(
            "ss-pool",
            "socketserver PoolTcpServer (160 workers)",
            Crate,
            Some("std-pool"),
            InBinary(servers::socketserver::tcp_pool),
            TCP_POOLED,
        ),
        c(
            "ss-forking",
            "socketserver ForkingTcpServer",
            Crate,
            Some("std-fork"),
            InBinary(servers::socketserver::tcp_forking),
            TCP_FORKING,
        ),
        c(
            "ss-event",
            "socketserver EventLoopTcpServer, on_data echo",
            Crate,
            Some("mio-loop"),
            InBinary(servers::socketserver::tcp_event_bytes),
            TCP_EVENT_SHORT,
        ),
        c(
            "ss-event-proxy2",
            "socketserver EventLoopTcpServer, on_data echo, PROXY v2 header first",
            Crate,
            Some("ss-event"),
            InBinary(servers::socketserver::tcp_event_bytes_proxy),
            SHORT,
        ),
        c(
            "ss-event-2loops",
            "socketserver EventLoopTcpServer, 2 loops, UNPINNED: both cores, shared with the load generator",
            Crate,
            Some("tokio-tcp-2cores"),
            InBinary(servers::socketserver::tcp_event_bytes_2loops),
            TWO_CORES,
        ),
        c(
            "ss-event-uring",
            "socketserver EventLoopTcpServer on io_uring, on_data echo",
            Crate,
            Some("mio-loop"),
            InBinary(servers::socketserver::tcp_event_uring),
            TCP_CONCURRENT,
        ),
        c(
            "ss-event-lines",
            "socketserver EventLoopTcpServer, on_line echo",
            Crate,
            Some("mio-loop"),
            InBinary(servers::socketserver::tcp_event_lines),
            TCP_EVENT,
        ),
        c(
            "ss-http",
            "socketserver ThreadingHttpServer",
            Crate,
            None,
            InBinary(servers::socketserver::http_threading),
            HTTP,
        ),
        c(
            "ss-files",
            "socketserver ThreadingHttpServer + FileServer",
            Crate,
            None,
            InBinary(servers::files::socketserver_files),
            FILES,
        ),
        c(
            "ss-files-loop",
            "socketserver EventLoopTcpServer + HttpEvents(FileServer)",
            Crate,
            None,
            InBinary(servers::files::socketserver_files_event_loop),
            FILES,
        ),
        // The hand-written twins.
        c(
            "std-iterative",
            "hand-written std: accept loop, one client at a time",
            HandWritten,
            None,
            InBinary(servers::handwritten::tcp_iterative),
            TCP_ITERATIVE,
        ),
        c(
            "std-thread",
            "hand-written std: thread per connection, BufReader",
            HandWritten,
            None,
            InBinary(servers::handwritten::tcp_thread_per_connection),
            TCP_CONCURRENT,
        ),
        c(
            "std-pool",
            "hand-written std: fixed pool of 160 threads",
            HandWritten,
            None,
            InBinary(servers::handwritten::tcp_pool),
            TCP_POOLED,
        ),
        c(
            "std-fork",
            "hand-written: fork per connection",
            HandWritten,
            None,
            InBinary(servers::handwritten::tcp_fork_per_connection),
            TCP_FORKING,
        ),
        c(
            "mio-loop",
            "hand-written mio event loop",
            HandWritten,
            None,
            InBinary(servers::mio_echo::tcp),
            TCP_EVENT_SHORT,
        ),
        c(
            "std-udp",
            "hand-written std: recv_from/send_to loop",
            HandWritten,
            None,
            InBinary(servers::handwritten::udp_loop),
            UDP,
        ),
        c(
            "std-udp-thread",
            "hand-written std: thread per datagram",
            HandWritten,
            None,
            InBinary(servers::handwritten::udp_thread_per_datagram),
            UDP,
        ),
        // What users would otherwise run.
        c(
            "py-tcp",
            "Python socketserver.ThreadingTCPServer",
            Python,
            None,
            Script("tcp_echo.py"),
            TCP_CONCURRENT,
        ),
        c(
            "py-udp",
            "Python socketserver.ThreadingUDPServer",
            Python,
            None,
            Script("udp_echo.py"),
            UDP,
        ),
        c(
            "py-http",
            "Python http.server.ThreadingHTTPServer",
            Python,
            None,
            Script("http_server.py"),
            HTTP,
        ),
        c(
            "py-files",
            "Python http.server (SimpleHTTPRequestHandler, -p HTTP/1.1)",
            Python,
            None,
            Script("file_server.py"),
            FILES,
        ),
        c(
            "nginx-files",
            "nginx (one process, sendfile on)",
            HandWritten,
            None,
            InBinary(servers::files::nginx_files),
            FILES,
        ),
        c(
            "tokio-tcp",
            "tokio multi-thread: task per connection",
            Tokio,
            None,
            InBinary(servers::tokio_echo::tcp),
            TCP_EVENT_SHORT,
        ),
        c(
            "tokio-tcp-2cores",
            "tokio multi-thread (2 workers), UNPINNED: both cores, shared with the load generator",
            Tokio,
            None,
            InBinary(servers::tokio_echo::tcp),
            TWO_CORES,
        ),
        c(
            "tokio-udp",
            "tokio: one UDP task",
            Tokio,
            None,
            InBinary(servers::tokio_echo::udp),
            UDP,
        ),
    ];
    // TLS (feature `tls`): the crate's threading and event-loop servers against the tokio
    // + tokio-rustls twin; no hand-written twin (rustls under std threads is what the
    // threading server is).
    #[cfg(feature = "tls")]
    all.extend([
        c(
            "ss-threading-tls",
            "socketserver ThreadingTcpServer + TLS",
            Crate,
            None,
            InBinary(servers::tls::threading),
            TLS,
        ),
        c(
            "ss-event-tls",
            "socketserver EventLoopTcpServer + TLS, on_line echo",
            Crate,
            None,
            InBinary(servers::tls::event_loop),
            TLS,
        ),
        c(
            "tokio-tls",
            "tokio multi-thread + tokio-rustls: task per connection",
            Tokio,
            None,
            InBinary(servers::tls::tokio),
            TLS,
        ),
    ]);
    // The io_uring row measures only what it names: built without the feature, it is not
    // offered (the smoke run in CI builds without it).
    if !cfg!(feature = "io-uring") {
        all.retain(|contender| contender.id != "ss-event-uring");
    }
    all
}
