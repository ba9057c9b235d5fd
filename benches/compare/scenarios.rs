//! The scenarios of the issue, each a column of work every contender that supports it is
//! driven through.

use crate::config::Config;

/// What a scenario is; contenders list the kinds they support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Line-echo ping-pong, 64-byte lines, 1 connection.
    EchoC1,
    /// ... 16 connections.
    EchoC16,
    /// ... 128 connections.
    EchoC128,
    /// 16 connections, 16 KiB lines.
    Echo16K,
    /// UDP echo ping-pong, 1 client.
    UdpC1,
    /// ... 16 clients.
    UdpC16,
    /// Connections opened all at once, each echoes one line.
    Burst,
    /// Connections held open, each echoing about once a second.
    Hold,
    /// The same with 100,000 connections: event loops only (a thread or a process per
    /// connection is not what holds that many).
    HoldMany,
    /// HTTP/1.1 keep-alive GETs of a small page (wrk).
    Http,
    /// Line-echo ping-pong through TLS, 64-byte lines, 16 connections.
    #[cfg(feature = "tls")]
    TlsEcho,
    /// New TLS connections: a full handshake, one echoed line, close; 16 at a time.
    #[cfg(feature = "tls")]
    TlsHandshake,
    /// HTTP/1.1 keep-alive GETs of a 1 KiB file from a directory (wrk).
    Files1K,
    /// ... of a 1 MiB file.
    Files1M,
    /// Short connections, a few at a time: connect, echo one line, close (the PROXY
    /// contenders get a v2 header first).
    Short,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub kind: Kind,
    /// Short id for the CSV and `BENCH_SCENARIOS`.
    pub id: String,
    /// What the report's heading says.
    pub title: String,
    /// Connections (or UDP clients).
    pub conns: usize,
    /// Bytes per message, newline included.
    pub len: usize,
}

impl Scenario {
    fn new(kind: Kind, id: String, title: String, conns: usize, len: usize) -> Scenario {
        Scenario {
            kind,
            id,
            title,
            conns,
            len,
        }
    }

    /// The echo scenarios drawn in the chart, by connection count.
    pub fn chart_connections(&self) -> Option<usize> {
        matches!(self.kind, Kind::EchoC1 | Kind::EchoC16 | Kind::EchoC128).then_some(self.conns)
    }
}

pub fn all(config: &Config) -> Vec<Scenario> {
    #[allow(unused_mut)] // without the tls feature nothing is added
    let mut all = plaintext(config);
    #[cfg(feature = "tls")]
    all.extend([
        Scenario::new(
            Kind::TlsEcho,
            "tls-echo-64B-c16".into(),
            "TLS line echo (TLS 1.3, AES-128-GCM, X25519, ECDSA P-256), 64-byte lines, 16 connections, ping-pong".into(),
            16,
            64,
        ),
        Scenario::new(
            Kind::TlsHandshake,
            "tls-handshake-c16".into(),
            "New TLS connections, 16 at a time: full TLS 1.3 handshake (no resumption), one 64-byte line echoed, close; a round trip is a connection".into(),
            16,
            64,
        ),
    ]);
    all
}

fn plaintext(config: &Config) -> Vec<Scenario> {
    let echo = |kind, conns| {
        Scenario::new(
            kind,
            format!("echo-64B-c{conns}"),
            format!("TCP line echo, 64-byte lines, {conns} connection(s), ping-pong"),
            conns,
            64,
        )
    };
    let udp = |kind, clients| {
        Scenario::new(
            kind,
            format!("udp-c{clients}"),
            format!("UDP echo, 64-byte datagrams, {clients} client(s), ping-pong"),
            clients,
            64,
        )
    };
    vec![
        echo(Kind::EchoC1, 1),
        echo(Kind::EchoC16, 16),
        echo(Kind::EchoC128, 128),
        Scenario::new(
            Kind::Echo16K,
            "echo-16KiB-c16".into(),
            "TCP line echo, 16 KiB lines, 16 connections, ping-pong".into(),
            16,
            16 * 1024,
        ),
        udp(Kind::UdpC1, 1),
        udp(Kind::UdpC16, 16),
        Scenario::new(
            Kind::Burst,
            format!("burst-{}", config.burst),
            format!(
                "Burst: {} connections opened at once, each echoes one 64-byte line (deadline {:.0} s)",
                config.burst,
                config.burst_deadline.as_secs_f64()
            ),
            config.burst,
            64,
        ),
        Scenario::new(
            Kind::Hold,
            format!("hold-{}", config.hold),
            format!(
                "Hold: {} connections open at once, each echoes a 64-byte line about once a second for {:.0} s",
                config.hold,
                config.hold_time.as_secs_f64()
            ),
            config.hold,
            64,
        ),
        Scenario::new(
            Kind::HoldMany,
            format!("hold-{}", config.hold_many),
            format!(
                "Hold many: {} connections from {}, each echoes a 64-byte line about once a second for {:.0} s{}",
                config.hold_many,
                match crate::loadgen::hold::sources_for(config.hold_many) {
                    1 => "one loopback source address".to_string(),
                    n => format!("{n} loopback source addresses"),
                },
                config.hold_time.as_secs_f64(),
                config.hold_many_cut.map_or(String::new(), |(asked, fds)| format!(
                    " ({asked} asked for: this machine's hard open-file limit is {fds} descriptors per process, and raising it needs CAP_SYS_RESOURCE, which this process lacks)"
                ))
            ),
            config.hold_many,
            64,
        ),
        Scenario::new(
            Kind::Short,
            "short-c16".into(),
            "Short connections, 16 at a time: connect, echo one 64-byte line, close (rt = one connection; the PROXY rows send a 28-byte v2 header first, as HAProxy's send-proxy-v2)".into(),
            16,
            64,
        ),
        Scenario::new(
            Kind::Http,
            "http-c16".into(),
            "HTTP/1.1 keep-alive GET of a small page, 16 connections (wrk -t1)".into(),
            16,
            0,
        ),
        Scenario::new(
            Kind::Files1K,
            "files-1KiB-c16".into(),
            "Static file, 1 KiB, HTTP/1.1 keep-alive GETs, 16 connections (wrk -t1), access log on".into(),
            16,
            1024,
        ),
        Scenario::new(
            Kind::Files1M,
            "files-1MiB-c16".into(),
            "Static file, 1 MiB, HTTP/1.1 keep-alive GETs, 16 connections (wrk -t1), access log on".into(),
            16,
            1 << 20,
        ),
    ]
}
