//! Reading a request head (request line and header fields) off a connection, within the
//! [`Limits`], and parsing it with `httparse`.
//!
//! The head is read line by line so that each limit maps to its status exactly as in
//! Python's `http.server`: a long request line is `414`, a long header line, too many
//! header bytes or too many fields is `431`. Once the blank line has arrived, `httparse`
//! parses the whole head; what it refuses is `400`, or `505` for a well-formed version
//! other than HTTP/1.0 and HTTP/1.1.
//!
//! This file reads the head and holds what reading it gives; `parse` turns the bytes into
//! a [`Head`] or a [`Reject`].

use std::io::{self, BufRead, Read};

use super::text::latin1;
use super::{Headers, Limits, Version};

mod parse;
#[cfg(test)]
mod tests;

use parse::parse;

/// A parsed request head: what a handler sees before the body.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) version: Version,
    pub(crate) requestline: String,
    pub(crate) headers: Headers,
}

/// A request refused before any handler saw it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reject {
    pub(crate) status: u16,
    pub(crate) message: String,
    /// The request line, when it was read whole (for the access log).
    pub(crate) requestline: Option<String>,
}

impl Reject {
    fn new(status: u16, message: impl Into<String>, requestline: Option<&str>) -> Self {
        Reject {
            status,
            message: message.into(),
            requestline: requestline.map(str::to_owned),
        }
    }
}

#[derive(Debug)]
pub(crate) enum ReadHead {
    Request(Head),
    /// The client closed the connection (or sent half a head and closed) between requests.
    Closed,
    Rejected(Reject),
}

/// Blank lines tolerated before a request line (RFC 9112 §2.2 asks servers to skip some).
const MAX_LEADING_BLANK_LINES: usize = 16;

/// Reads one request head from `rfile`, leaving `rfile` at the first byte of the body.
pub(crate) fn read_head(rfile: &mut impl BufRead, limits: &Limits) -> io::Result<ReadHead> {
    let mut raw = Vec::with_capacity(512);
    let mut blank_lines = 0;
    loop {
        raw.clear();
        if read_line(rfile, limits.max_request_line, &mut raw)? == 0 {
            return Ok(ReadHead::Closed);
        }
        if raw.len() > limits.max_request_line {
            return Ok(ReadHead::Rejected(Reject::new(414, "URI Too Long", None)));
        }
        if !raw.ends_with(b"\n") {
            return Ok(ReadHead::Closed);
        }
        if !is_blank(&raw) {
            break;
        }
        blank_lines += 1;
        if blank_lines > MAX_LEADING_BLANK_LINES {
            return Ok(ReadHead::Rejected(Reject::new(
                400,
                "Too many blank lines",
                None,
            )));
        }
    }
    let line_end = raw.len();
    let requestline = latin1(trim_line_ending(&raw));

    // A line longer than the whole block is refused as soon as it is over the block, so
    // a raised `max_header_line` never buffers more than `max_header_bytes`.
    let max_line = limits.max_header_line.min(limits.max_header_bytes);
    let mut fields = 0;
    loop {
        let start = raw.len();
        if read_line(rfile, max_line, &mut raw)? == 0 {
            return Ok(ReadHead::Closed);
        }
        let line = &raw[start..];
        if line.len() > max_line {
            let reject = Reject::new(431, "Line too long", Some(&requestline));
            return Ok(ReadHead::Rejected(reject));
        }
        if !line.ends_with(b"\n") {
            return Ok(ReadHead::Closed);
        }
        if is_blank(line) {
            break;
        }
        fields += 1;
        if fields > limits.max_headers {
            let reject = Reject::new(431, "Too many headers", Some(&requestline));
            return Ok(ReadHead::Rejected(reject));
        }
        if raw.len() - line_end > limits.max_header_bytes {
            let reject = Reject::new(431, "Header fields too large", Some(&requestline));
            return Ok(ReadHead::Rejected(reject));
        }
    }
    Ok(match parse(&raw, fields, &requestline) {
        Ok(head) => ReadHead::Request(head),
        Err(reject) => ReadHead::Rejected(reject),
    })
}

/// Appends one line to `buf`, reading at most `limit + 1` bytes so that an endless line
/// is noticed without being buffered; returns how many bytes were appended.
fn read_line(rfile: &mut impl BufRead, limit: usize, buf: &mut Vec<u8>) -> io::Result<usize> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    rfile.by_ref().take(cap).read_until(b'\n', buf)
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\r\n" || line == b"\n"
}

fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
