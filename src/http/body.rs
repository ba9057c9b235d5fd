//! The request body: how it is framed (`Content-Length`, `Transfer-Encoding: chunked`,
//! or a refusal), [`Body`], the reader that stops at its end, and skipping what a
//! handler left unread.

use std::io::{self, Read};

use super::chunked::ChunkedReader;
use super::exchange::Exchange;
use super::head::Head;
use super::{Limits, Version};

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
    /// The decoder of a chunked body (`remaining` is then 0: the length is not known).
    pub(crate) chunked: Option<ChunkedReader<()>>,
    /// The status a malformed or oversized chunked body calls for (`400`, `413`), once
    /// reading it failed: the handler's error is answered with it, not with `500`.
    pub(crate) refusal: Option<(u16, String)>,
}

impl BodyState {
    /// No body.
    pub(crate) const EMPTY: BodyState = BodyState {
        remaining: 0,
        continue_pending: false,
        chunked: None,
        refusal: None,
    };

    /// How the body of `head` is framed, or the status (and message) that refuses it.
    pub(crate) fn framing(head: &Head, limits: &Limits) -> Result<BodyState, (u16, String)> {
        let headers = &head.headers;
        if headers.get("Transfer-Encoding").is_some() {
            if headers.get("Content-Length").is_some() {
                // Both framings at once is how requests are smuggled past proxies.
                return Err((400, "Both Transfer-Encoding and Content-Length".into()));
            }
            return Self::chunked_framing(head, limits);
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
            chunked: None,
            refusal: None,
        })
    }

    /// A body with `Transfer-Encoding`: only `chunked` alone, on HTTP/1.1, is accepted.
    /// Any other coding, a list (`gzip, chunked`, `chunked, chunked`) or HTTP/1.0 is
    /// refused with `400`: a server that cannot frame the body cannot find the next
    /// request either (RFC 9112 §6.1), and guessing is how requests are smuggled.
    fn chunked_framing(head: &Head, limits: &Limits) -> Result<BodyState, (u16, String)> {
        if head.version != Version::Http11 {
            return Err((400, "Transfer-Encoding in an HTTP/1.0 request".into()));
        }
        let codings: Vec<&str> = head
            .headers
            .get_all("Transfer-Encoding")
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if codings.len() != 1 || !codings[0].eq_ignore_ascii_case("chunked") {
            let sent = codings.join(", ");
            return Err((400, format!("Unsupported Transfer-Encoding ({sent:?})")));
        }
        let continue_pending = match head.headers.get("Expect") {
            Some(expect) if !expect.trim().eq_ignore_ascii_case("100-continue") => {
                return Err((417, format!("Unsupported expectation ({expect:?})")));
            }
            Some(_) => true,
            None => false,
        };
        Ok(BodyState {
            remaining: 0,
            continue_pending,
            chunked: Some(ChunkedReader::new((), limits.max_body)),
            refusal: None,
        })
    }

    /// Whether body bytes may still be unread (a chunked body not read to its end).
    pub(crate) fn unread(&self) -> bool {
        self.remaining > 0 || self.chunked.as_ref().is_some_and(|c| !c.is_done())
    }

    /// Whether the unread body stops the connection from carrying another request: too
    /// much of it to skip, or a client that waits for `100 Continue` and has not sent it.
    pub(crate) fn ends_connection(&self) -> bool {
        if self.refusal.is_some() {
            return true;
        }
        if let Some(chunked) = &self.chunked {
            // Its length is unknown until it is read: a chunked body the handler left
            // unread ends the connection rather than being skipped unbounded.
            return !chunked.is_done();
        }
        self.remaining > MAX_SKIPPED_BODY || (self.continue_pending && self.remaining > 0)
    }
}

/// A request body: reads up to its `Content-Length` (or the decoded bytes of a chunked
/// body, up to its last chunk), then end-of-file. Get it from
/// [`HttpRequest::body`](super::HttpRequest::body).
///
/// A malformed chunked body makes a read fail with `InvalidData`, one over
/// [`Limits::max_body`] with `FileTooLarge`; a handler that returns that error gets
/// `400` or `413` sent for it, and the connection closes.
pub struct Body<'r> {
    pub(crate) stream: &'r mut dyn Exchange,
    pub(crate) state: &'r mut BodyState,
    pub(crate) response_started: bool,
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.state.unread() || buf.is_empty() {
            return Ok(0);
        }
        if self.state.continue_pending {
            self.state.continue_pending = false;
            // Once a final response has begun, the client must not be told to go on.
            if !self.response_started {
                let wfile = self.stream.wfile();
                wfile.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                wfile.flush()?;
            }
        }
        if let Some(decoder) = self.state.chunked.take() {
            let (mut reader, ()) = decoder.swap_inner(self.stream.rfile());
            let read = reader.read(buf);
            self.state.chunked = Some(reader.swap_inner(()).0);
            if let Err(err) = &read {
                let status = match err.kind() {
                    io::ErrorKind::InvalidData => Some(400),
                    io::ErrorKind::FileTooLarge => Some(413),
                    _ => None,
                };
                if let Some(status) = status {
                    self.state.refusal = Some((status, err.to_string()));
                }
            }
            return read;
        }
        let want = usize::try_from(self.state.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.stream.rfile().read(&mut buf[..want])?;
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
            refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        assert_eq!(
            refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
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
