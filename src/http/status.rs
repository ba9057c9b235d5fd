//! Status codes and versions: the reason phrase and the one-line explanation of each code
//! (Python's `BaseHTTPRequestHandler.responses`), and the HTTP versions this layer speaks.

use std::fmt;

/// An HTTP version a request can carry. Others never reach a handler: a request line
/// without a version (HTTP/0.9's `GET /`) is answered `400`, and any version other than
/// 1.0 and 1.1 (`HTTP/0.9`, `HTTP/2.0`, `HTTP/3`) `505`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// HTTP/1.0: the connection closes after the response unless the client asks for
    /// `Connection: keep-alive`.
    Http10,
    /// HTTP/1.1: the connection stays open for the next request unless either side says
    /// `Connection: close`.
    Http11,
}

impl Version {
    /// The version as it appears on the wire: `"HTTP/1.0"` or `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reason phrase of a status code (`404` -> `"Not Found"`), as Python's
/// `http.HTTPStatus` spells it; `None` for a code it does not know.
pub fn reason_phrase(code: u16) -> Option<&'static str> {
    describe(code).map(|(phrase, _)| phrase)
}

/// The phrase for the status line: the known one, or one for the code's class.
pub(crate) fn status_phrase(code: u16) -> &'static str {
    reason_phrase(code).unwrap_or(match code {
        100..=199 => "Informational",
        200..=299 => "Success",
        300..=399 => "Redirection",
        400..=499 => "Client Error",
        _ => "Server Error",
    })
}

/// The sentence `send_error` puts in its page to explain the code.
pub(crate) fn explanation(code: u16) -> Option<&'static str> {
    describe(code).map(|(_, explain)| explain)
}

fn describe(code: u16) -> Option<(&'static str, &'static str)> {
    Some(match code {
        100 => ("Continue", "Request received, please continue"),
        101 => ("Switching Protocols", "Switching to new protocol; obey Upgrade header"),
        200 => ("OK", "Request fulfilled, document follows"),
        201 => ("Created", "Document created, URL follows"),
        202 => ("Accepted", "Request accepted, processing continues off-line"),
        204 => ("No Content", "Request fulfilled, nothing follows"),
        205 => ("Reset Content", "Clear input form for further input"),
        206 => ("Partial Content", "Partial content follows"),
        301 => ("Moved Permanently", "Object moved permanently -- see URI list"),
        302 => ("Found", "Object moved temporarily -- see URI list"),
        303 => ("See Other", "Object moved -- see Method and URL list"),
        304 => ("Not Modified", "Document has not changed since given time"),
        307 => ("Temporary Redirect", "Object moved temporarily -- see URI list"),
        308 => ("Permanent Redirect", "Object moved permanently -- see URI list"),
        400 => ("Bad Request", "Bad request syntax or unsupported method"),
        401 => ("Unauthorized", "No permission -- see authorization schemes"),
        403 => ("Forbidden", "Request forbidden -- authorization will not help"),
        404 => ("Not Found", "Nothing matches the given URI"),
        405 => ("Method Not Allowed", "Specified method is invalid for this resource"),
        408 => ("Request Timeout", "Request timed out; try again later"),
        411 => ("Length Required", "Client must specify Content-Length"),
        413 => ("Content Too Large", "Content is too large"),
        414 => ("URI Too Long", "URI is too long"),
        415 => ("Unsupported Media Type", "Entity body in unsupported format"),
        417 => ("Expectation Failed", "Expect condition could not be satisfied"),
        429 => (
            "Too Many Requests",
            "The user has sent too many requests in a given amount of time",
        ),
        431 => (
            "Request Header Fields Too Large",
            "The server is unwilling to process the request because its header fields are too large",
        ),
        500 => ("Internal Server Error", "Server got itself in trouble"),
        501 => ("Not Implemented", "Server does not support this operation"),
        502 => ("Bad Gateway", "Invalid responses from another server/proxy"),
        503 => (
            "Service Unavailable",
            "The server cannot process the request due to a high load",
        ),
        504 => (
            "Gateway Timeout",
            "The gateway server did not receive a timely response",
        ),
        505 => ("HTTP Version Not Supported", "Cannot fulfill request"),
        _ => return None,
    })
}

/// Whether a response with this status never has a body (RFC 9110 §6.4.1).
pub(crate) fn has_no_body(code: u16) -> bool {
    (100..200).contains(&code) || code == 204 || code == 304
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes() {
        assert_eq!(reason_phrase(404), Some("Not Found"));
        assert_eq!(reason_phrase(299), None);
        assert_eq!(status_phrase(299), "Success");
        assert_eq!(status_phrase(599), "Server Error");
        assert!(has_no_body(204) && has_no_body(304) && has_no_body(100));
        assert!(!has_no_body(200) && !has_no_body(404));
    }
}
