//! [`Limits`]: how large a request may be before it is refused. Python's `http.server`
//! bounds the request line and the header lines; this also bounds the whole head and
//! the body.

/// Size limits on requests. Over a limit, the client gets the status named on each field,
/// with a short page, and the connection is closed.
///
/// Set them on the server's builder ([`ServerBuilder::limits`](crate::ServerBuilder::limits)):
///
/// ```
/// use socketserver::http::{HttpRequest, Limits, ThreadingHttpServer};
///
/// let limits = Limits::default().max_body(16 << 20).max_headers(50);
/// assert_eq!(limits.max_body, 16 << 20);
/// let server = ThreadingHttpServer::builder()
///     .limits(limits)
///     .bind("127.0.0.1:0", || |req: &mut HttpRequest<'_>| req.send_error(404, None))?;
/// # drop(server);
/// # Ok::<(), socketserver::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest request line in bytes, line ending included; longer -> `414`.
    /// Default 65536, as in Python.
    pub max_request_line: usize,
    /// The longest header line in bytes; longer -> `431`. Default 32768 (Python has
    /// 65536, but no line can be longer than the whole block). A value above
    /// [`max_header_bytes`](Self::max_header_bytes) acts as that limit: a line is never
    /// buffered past the block.
    pub max_header_line: usize,
    /// The most header bytes in one request (all header lines together); more -> `431`.
    /// Default 32768 (32 KiB): room for large cookies and tokens, in the range servers
    /// people trust use (nginx's default buffers hold 4 x 8 KiB, Node's limit is 16 KiB),
    /// so a client cannot make every connection hold a large head. Raise it for
    /// clients that send more.
    pub max_header_bytes: usize,
    /// The most header fields in one request; more -> `431`. Default 100, as in Python.
    pub max_headers: usize,
    /// The largest request body (its `Content-Length`); larger -> `413`, refused before
    /// any of it is read. Default 1 MiB. Python has no limit.
    pub max_body: u64,
}

impl Limits {
    /// The defaults listed on each field.
    pub const DEFAULT: Limits = Limits {
        max_request_line: 65536,
        max_header_line: 32_768,
        max_header_bytes: 32_768,
        max_headers: 100,
        max_body: 1 << 20,
    };

    /// Sets [`max_request_line`](Self::max_request_line).
    pub const fn max_request_line(mut self, bytes: usize) -> Self {
        self.max_request_line = bytes;
        self
    }

    /// Sets [`max_header_line`](Self::max_header_line).
    pub const fn max_header_line(mut self, bytes: usize) -> Self {
        self.max_header_line = bytes;
        self
    }

    /// Sets [`max_header_bytes`](Self::max_header_bytes).
    pub const fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Sets [`max_headers`](Self::max_headers).
    pub const fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }

    /// Sets [`max_body`](Self::max_body).
    pub const fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
