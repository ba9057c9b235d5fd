//! Driving the examples the way users do: a client example as an interactive process
//! (write its stdin, read its stdout lines with deadlines), and a TCP line client that
//! reads with a deadline without losing a partial line.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use super::example::{client_command, wait_exit};
use super::{connect, IO_TIMEOUT};

/// A client example running with a pipe on stdin and its stdout read line by line.
pub struct Interactive {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Interactive {
    pub fn start(name: &str, server: SocketAddr, args: &[&str]) -> Self {
        let mut child = client_command(name, server, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Interactive {
            child,
            stdin,
            lines,
        }
    }

    /// Types `line` (a line end is added).
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// The next line printed within `timeout`, if any.
    pub fn line_within(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// The next printed line; fails the test after [`IO_TIMEOUT`].
    pub fn next_line(&self) -> String {
        self.line_within(IO_TIMEOUT)
            .expect("no line printed in time")
    }

    /// The next printed line other than `skipped` (left over from probes).
    pub fn next_line_except(&self, skipped: &str) -> String {
        loop {
            let line = self.next_line();
            if line != skipped {
                return line;
            }
        }
    }

    /// Types `probe` again and again until `listener` prints a line (the chat server
    /// relays between the two); fails the test after [`IO_TIMEOUT`].
    pub fn type_until_heard(&mut self, probe: &str, listener: &Interactive) {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            assert!(
                Instant::now() < deadline,
                "the listener never heard {probe:?}"
            );
            self.type_line(probe);
            if listener.line_within(Duration::from_millis(100)).is_some() {
                return;
            }
        }
    }

    /// Closes stdin (end of input) and waits for the exit, at most `limit`.
    pub fn finish(&mut self, limit: Duration) -> ExitStatus {
        drop(self.stdin.take());
        wait_exit(&mut self.child, limit)
    }

    /// Every line still to be printed, once stdout has closed.
    pub fn rest(&self) -> Vec<String> {
        self.lines.iter().collect()
    }
}

impl Drop for Interactive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw TCP client of a line server, reading lines with deadlines; a line cut by a
/// timeout is kept for the next read.
pub struct LineClient {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
    partial: Vec<u8>,
}

impl LineClient {
    pub fn connect(addr: SocketAddr) -> Self {
        Self::from_stream(connect(addr))
    }

    pub fn from_stream(stream: TcpStream) -> Self {
        let reader = BufReader::new(stream.try_clone().unwrap());
        LineClient {
            stream,
            reader,
            partial: Vec::new(),
        }
    }

    pub fn send(&mut self, line: &str) {
        self.stream.write_all(line.as_bytes()).expect("write");
    }

    /// The next line (with its `\n`) within `timeout`; `None` on timeout. Panics at
    /// end of stream.
    pub fn line_within(&mut self, timeout: Duration) -> Option<String> {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
        let read = self.reader.read_until(b'\n', &mut self.partial);
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        match read {
            Ok(0) => panic!("connection closed"),
            Ok(_) if self.partial.ends_with(b"\n") => {
                let line = std::mem::take(&mut self.partial);
                Some(String::from_utf8(line).expect("UTF-8 line"))
            }
            Ok(_) => panic!("connection closed mid-line"),
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(err) => panic!("read: {err}"),
        }
    }

    /// The next line; fails the test after [`IO_TIMEOUT`].
    pub fn next_line(&mut self) -> String {
        self.line_within(IO_TIMEOUT).expect("no line in time")
    }

    /// Sends `line` and reads one line back.
    pub fn ask(&mut self, line: &str) -> String {
        self.send(line);
        self.next_line()
    }
}
