//! The request body: how it is framed (`Content-Length`, or a refusal), [`Body`], the
//! reader that stops at its end, and skipping what a handler left unread.

use std::io::{self, Read, Write};

use super::head::Head;
use super::{Limits, Version};
use crate::StreamRequest;

/// Unread body bytes skipped to reach the next request; with more, the connection closes.
const MAX_SKIPPED_BODY: u64 = 64 * 1024;

/// What is left of the request body.
#[derive(Debug)]
pub(crate) struct BodyState {
    /// Bytes of the body not yet read.
    pub(crate) remaining: u64,
    /// The client sent `Expect: 100-continue` and waits for `100 Continue` before
    /// sending the body; it is sent on the first read.
    pub(crate) continue_pending: bool,
}

impl BodyState {
    /// No body.
    pub(crate) const EMPTY: BodyState = BodyState {
        remaining: 0,
        continue_pending: false,
    };

    /// How the body of `head` is framed, or the status (and message) that refuses it.
    pub(crate) fn framing(head: &Head, limits: &Limits) -> Result<BodyState, (u16, String)> {
        let headers = &head.headers;
        if headers.get("Transfer-Encoding").is_some() {
            if headers.get("Content-Length").is_some() {
                // Both framings at once is how requests are smuggled past proxies.
                return Err((400, "Both Transfer-Encoding and Content-Length".into()));
            }
            return Err((
                501,
                "Transfer-Encoding is not supported; send Content-Length".into(),
            ));
        }
        let mut length: Option<u64> = None;
        for item in headers.get_all("Content-Length").flat_map(|v| v.split(',')) {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err((400, format!("Bad Content-Length ({item:?})")));
            }
            let value = item.parse::<u64>().unwrap_or(u64::MAX);
            if length.is_some_and(|seen| seen != value) {
                return Err((400, "Conflicting Content-Length values".into()));
            }
            length = Some(value);
        }
        let remaining = length.unwrap_or(0);
        if remaining > limits.max_body {
            let message = format!(
                "Body of {remaining} bytes is over the limit of {} bytes",
                limits.max_body
            );
            return Err((413, message));
        }
        let continue_pending = match headers.get("Expect") {
            Some(expect) if head.version == Version::Http11 => {
                if !expect.trim().eq_ignore_ascii_case("100-continue") {
                    return Err((417, format!("Unsupported expectation ({expect:?})")));
                }
                remaining > 0
            }
            _ => false,
        };
        Ok(BodyState {
            remaining,
            continue_pending,
        })
    }

    /// Whether the unread body stops the connection from carrying another request: too
    /// much of it to skip, or a client that waits for `100 Continue` and has not sent it.
    pub(crate) fn ends_connection(&self) -> bool {
        self.remaining > MAX_SKIPPED_BODY || (self.continue_pending && self.remaining > 0)
    }
}

/// A request body: reads up to its `Content-Length`, then end-of-file. Get it from
/// [`HttpRequest::body`](super::HttpRequest::body).
pub struct Body<'r> {
    pub(crate) stream: &'r mut StreamRequest,
    pub(crate) state: &'r mut BodyState,
    pub(crate) response_started: bool,
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.state.continue_pending {
            self.state.continue_pending = false;
            // Once a final response has begun, the client must not be told to go on.
            if !self.response_started {
                self.stream
                    .wfile
                    .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                self.stream.wfile.flush()?;
            }
        }
        let want = usize::try_from(self.state.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.stream.rfile.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the client closed with {} bytes of the body unsent",
                    self.state.remaining
                ),
            ));
        }
        self.state.remaining -= n as u64;
        Ok(n)
    }
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("remaining", &self.state.remaining)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::head::{read_head, ReadHead};

    fn head(text: &str) -> Head {
        let mut rfile = io::BufReader::new(text.as_bytes());
        match read_head(&mut rfile, &Limits::DEFAULT).unwrap() {
            ReadHead::Request(head) => head,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn refused(text: &str) -> u16 {
        BodyState::framing(&head(text), &Limits::DEFAULT.max_body(1000))
            .expect_err("accepted")
            .0
    }

    #[test]
    fn content_length_frames_the_body() {
        let framing = |text| BodyState::framing(&head(text), &Limits::DEFAULT).unwrap();
        let body = framing("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(body.remaining, 12);
        assert!(!body.continue_pending);
        let same_twice =
            framing("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(same_twice.remaining, 5);
        assert_eq!(framing("GET / HTTP/1.1\r\n\r\n").remaining, 0);
    }

    #[test]
    fn bad_framing_is_refused() {
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"),
            413
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            413
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nExpect: something-else\r\n\r\n"),
            417
        );
    }

    #[test]
    fn expect_continue_only_with_a_body_on_http11() {
        let framing = |text| BodyState::framing(&head(text), &Limits::DEFAULT).unwrap();
        assert!(
            framing("PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
                .continue_pending
        );
        assert!(
            !framing("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
                .continue_pending
        );
    }
}
