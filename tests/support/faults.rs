//! The cells of the fault matrix (`tests/fault_matrix.rs`, `tests/fault_matrix_forking.rs`):
//! each fault a client can inflict, as a function of the server's address, so that every
//! server type runs the same cell. The servers answer the same line protocol ([`echo`] for
//! the blocking modes, [`EchoEvents`] for the event loop): every line back byte-exact,
//! `big` answered with [`BIG`] bytes of `x` and a newline, `panic` a panic.

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use socketserver::event::Context;
use socketserver::{EventHandler, StreamRequest};

use super::{connect, connect_small_buffer, wait_until, IO_TIMEOUT};

/// The size of the reply to `big`: far more than a small-buffer client's socket holds, so
/// the reply is still being written when that client resets.
pub const BIG: usize = 1 << 20;
/// The piece a blocking handler reads and writes at most at once, so its memory is
/// bounded whatever a client sends.
pub const CHUNK: usize = 64 * 1024;
/// The payload of the panics the handlers raise on purpose; the panic hook that
/// [`quiet_panics`] installs does not print them.
pub const PANIC_MESSAGE: &str = "fault matrix: a panic on purpose";
/// The line that makes a handler panic.
pub const PANIC_LINE: &[u8] = b"panic\n";
/// The line that asks for [`BIG`] bytes.
pub const BIG_LINE: &[u8] = b"big\n";

/// A piece of the reply to `big`.
pub static XS: [u8; CHUNK] = [b'x'; CHUNK];

/// The blocking modes' handler: streams each line back in pieces of at most [`CHUNK`]
/// bytes (memory stays bounded for a line without end, and the echo stays byte-exact).
pub fn echo(req: &mut StreamRequest) -> io::Result<()> {
    let mut piece = Vec::with_capacity(CHUNK);
    let mut line_start = true;
    loop {
        piece.clear();
        let n = (&mut req.rfile)
            .take(CHUNK as u64)
            .read_until(b'\n', &mut piece)?;
        if n == 0 {
            return Ok(());
        }
        if line_start && piece == PANIC_LINE {
            panic!("{PANIC_MESSAGE}");
        }
        if line_start && piece == BIG_LINE {
            for _ in 0..BIG / CHUNK {
                req.wfile.write_all(&XS)?;
                req.wfile.flush()?;
            }
            req.wfile.write_all(b"\n")?;
            continue;
        }
        line_start = piece.ends_with(b"\n");
        req.wfile.write_all(&piece)?;
    }
}

/// The event loop's handler: the same protocol through its line framing (so a line over
/// `max_line_length` closes the connection with an error instead of being echoed).
#[derive(Debug, Default)]
pub struct EchoEvents;

impl EventHandler for EchoEvents {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        if line == PANIC_LINE {
            panic!("{PANIC_MESSAGE}");
        }
        if line == BIG_LINE {
            for _ in 0..BIG / CHUNK {
                ctx.send(&XS);
            }
            ctx.send(b"\n");
        } else {
            ctx.send(line);
        }
        Ok(())
    }
}

/// Installs, once, a panic hook that keeps quiet about [`PANIC_MESSAGE`] (hundreds of them
/// would bury the output) and prints every other panic as before.
pub fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied());
            if text != Some(PANIC_MESSAGE) {
                previous(info);
            }
        }));
    });
}

/// Ends `stream` with a reset (RST) instead of a FIN: `SO_LINGER` 0, then close.
pub fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(stream);
}

/// Sends `line` (with its newline) and reads exactly as many bytes back: byte-exact echo.
pub fn echoes(addr: SocketAddr, line: &[u8]) {
    let mut stream = connect(addr);
    stream.write_all(line).unwrap();
    let mut back = vec![0; line.len()];
    stream.read_exact(&mut back).expect("the echo");
    assert!(back == line, "echo differs: {back:?} for {line:?}");
}

/// Reset mid-request: half a line, then a reset. The server drops that connection and
/// serves the next client.
pub fn reset_mid_request(addr: SocketAddr) {
    for _ in 0..20 {
        let mut stream = connect(addr);
        stream.write_all(b"half a line, and then").unwrap();
        reset(stream);
    }
    echoes(addr, b"after the resets\n");
}

/// Reset mid-reply: a client asks for [`BIG`] bytes, reads a little, and resets while the
/// server is still writing. The server drops that connection and serves the next client.
pub fn reset_mid_reply(addr: SocketAddr) {
    for _ in 0..5 {
        let mut stream = connect_small_buffer(addr);
        stream.write_all(BIG_LINE).unwrap();
        let mut first = [0; 1024];
        stream
            .read_exact(&mut first)
            .expect("the start of the reply");
        assert!(first.iter().all(|&b| b == b'x'));
        reset(stream);
    }
    echoes(addr, b"after the resets\n");
}

/// Half-close: a client sends its lines and shuts its write side; every reply still
/// arrives, then the end of the connection.
pub fn half_close(addr: SocketAddr) {
    let mut stream = connect(addr);
    stream.write_all(b"one\ntwo\n").unwrap();
    stream.write_all(BIG_LINE).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut expected = b"one\ntwo\n".to_vec();
    expected.extend(std::iter::repeat_n(b'x', BIG));
    expected.push(b'\n');
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .expect("the replies, then the end");
    assert_eq!(
        got.len(),
        expected.len(),
        "every reply after the half-close"
    );
    assert!(got == expected);
}

/// Slowloris: one client sends its line a byte about every second (for four seconds);
/// another client is served meanwhile, while the slow line is still unfinished; then the
/// slow line is echoed whole.
pub fn slowloris(addr: SocketAddr) {
    let line = b"slow\n";
    let (slow, finished) = start_slowloris(addr, b"", line);
    // The fast client: a round trip while the slow line is unfinished.
    echoes(addr, b"not held up\n");
    assert!(
        !finished.load(Ordering::SeqCst),
        "the fast client waited for the slow one"
    );
    let mut stream = slow.join().unwrap().expect("the slow line sent");
    let mut back = vec![0; line.len()];
    stream.read_exact(&mut back).expect("the slow line's echo");
    assert_eq!(back, line);
}

/// The slow client of [`slowloris`]: its thread returns its connection once it has sent
/// everything; the flag says it is about to send its last byte.
pub type Slow = (thread::JoinHandle<io::Result<TcpStream>>, Arc<AtomicBool>);

/// Starts a slow client: it sends `prefix` at once, then `slow` a byte a second, and
/// this returns once its second slow byte is sent.
pub fn start_slowloris(addr: SocketAddr, prefix: &'static [u8], slow: &'static [u8]) -> Slow {
    assert!(slow.len() >= 3);
    let finished = Arc::new(AtomicBool::new(false));
    let (started, started_rx) = mpsc::channel();
    let thread = {
        let finished = Arc::clone(&finished);
        thread::spawn(move || {
            let mut stream = connect(addr);
            let mut result = stream.write_all(prefix);
            for (i, byte) in slow.iter().enumerate() {
                if i == slow.len() - 1 {
                    finished.store(true, Ordering::SeqCst);
                }
                result = result.and_then(|()| stream.write_all(&[*byte]));
                if i == 1 {
                    let _ = started.send(());
                }
                if i + 1 < slow.len() {
                    // The fault itself is the pace, a byte a second: not a synchronisation.
                    thread::sleep(Duration::from_secs(1));
                }
            }
            result.map(|()| stream)
        })
    };
    started_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("the slow client started");
    (thread, finished)
}

/// A 16 MiB line without a newline, then one: for a server that streams it back
/// (the blocking modes), the echo is byte-exact and arrives while the line is still being
/// sent. `sample` is called between the pieces sent and returns the server's memory in
/// KiB; the largest growth seen is returned.
pub fn long_line_echoed(addr: SocketAddr, mut sample: impl FnMut() -> u64) -> u64 {
    const LINE: usize = 16 << 20;
    let mut stream = connect(addr);
    let reader = {
        let mut stream = stream.try_clone().unwrap();
        thread::spawn(move || {
            let mut buf = vec![0; CHUNK];
            let mut got = 0;
            let mut exact = true;
            while got < LINE + 1 {
                let n = match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                for (i, &b) in buf[..n].iter().enumerate() {
                    let want = if got + i == LINE {
                        b'\n'
                    } else {
                        pattern(got + i)
                    };
                    exact &= b == want;
                }
                got += n;
            }
            (got, exact)
        })
    };
    let before = sample();
    let mut peak = before;
    let mut piece = vec![0; CHUNK];
    for start in (0..LINE).step_by(CHUNK) {
        for (i, b) in piece.iter_mut().enumerate() {
            *b = pattern(start + i);
        }
        stream.write_all(&piece).unwrap();
        if start % (1 << 20) == 0 {
            peak = peak.max(sample());
        }
    }
    stream.write_all(b"\n").unwrap();
    let (got, exact) = reader.join().unwrap();
    assert_eq!(got, LINE + 1, "the whole line came back");
    assert!(exact, "the echo is byte-exact");
    peak.max(sample()) - before
}

/// The bytes of the long line: every value but `\n`, so no line ends early.
fn pattern(i: usize) -> u8 {
    match (i % 251) as u8 {
        b'\n' => b'n',
        b => b,
    }
}

/// A 16 MiB line without a newline to a server that refuses it at its line limit (the
/// event loop): the connection is closed and `reported` (the error hook's count) goes
/// up; the next client is served.
pub fn long_line_refused(addr: SocketAddr, reported: impl Fn() -> usize) {
    let before = reported();
    let mut stream = connect(addr);
    let sender = {
        let mut stream = stream.try_clone().unwrap();
        thread::spawn(move || {
            let piece = vec![b'y'; CHUNK];
            for _ in 0..(16 << 20) / CHUNK {
                if stream.write_all(&piece).is_err() {
                    return false; // closed by the server
                }
            }
            true
        })
    };
    ended_without_reply(&mut stream);
    assert!(
        !sender.join().unwrap(),
        "the server read all 16 MiB instead of closing at its limit"
    );
    assert!(wait_until(IO_TIMEOUT, || reported() > before));
    echoes(addr, b"after the long line\n");
}

/// Bytes that are not UTF-8 (every byte value, in lines) come back byte-exact.
pub fn not_utf8(addr: SocketAddr) {
    let mut lines: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    lines.push(b'\n');
    lines.extend_from_slice(b"\xff\xfe\xc0\x80\xed\xa0\x80 \xf8\x88\x80\x80\x80\r\n");
    lines.extend_from_slice(b"\x00\x00\n");
    echoes(addr, &lines);
}

/// A panic storm: `count` clients each make the handler panic; each connection ends,
/// every panic is reported (`reported` counts them), and the server serves on.
pub fn panic_storm(addr: SocketAddr, count: usize, reported: impl Fn() -> usize) {
    quiet_panics();
    let before = reported();
    for _ in 0..count {
        let mut stream = connect(addr);
        stream.write_all(PANIC_LINE).unwrap();
        ended_without_reply(&mut stream);
    }
    assert!(
        wait_until(IO_TIMEOUT, || reported() >= before + count),
        "{} of {count} panics reported",
        reported() - before
    );
    echoes(addr, b"still serving\n");
}

/// The server ends `stream` without a byte of reply: end-of-file, or a reset.
pub fn ended_without_reply(stream: &mut TcpStream) {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!("the connection did not end: {err}"),
    }
    assert!(rest.is_empty(), "no reply: got {rest:?}");
}

/// Resident memory of a process, in KiB, from /proc (`VmRSS`).
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(&format!("/proc/{pid}/status"), "VmRSS:")
}

/// A field of a /proc status file, in KiB.
pub fn status_kib(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
