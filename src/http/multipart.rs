//! [`MultipartWriter`]: a `multipart/x-mixed-replace` stream, the way a browser shows
//! MJPEG video in a plain `<img>` tag.
//!
//! Each part carries its own `Content-Type` and `Content-Length` and is flushed as one
//! write; the response itself has no length, so the connection closes when the stream
//! ends (no chunked encoding, which some MJPEG clients cannot read).

use std::io::{self, IoSlice, Write};

use super::connection::client_gone;
use super::HttpRequest;

/// Writes a `multipart/x-mixed-replace` response body, one part (one video frame) at a
/// time: Python's loop of `wfile.write(b'--FRAME\r\n')`, part headers, frame, `\r\n`.
///
/// ```
/// use socketserver::http::{HttpRequest, HttpServer, MultipartWriter};
/// use std::io::{self, Read, Write};
///
/// let server = HttpServer::bind("127.0.0.1:0", || {
///     |req: &mut HttpRequest<'_>| {
///         req.send_response(200)?;
///         req.send_header("Cache-Control", "no-cache, private")?;
///         let mut stream = MultipartWriter::new(req, "FRAME")?;
///         for frame in [&b"one"[..], b"two"] {
///             stream.write_part("text/plain", frame)?;
///         }
///         stream.finish()
///     }
/// })?;
/// let addr = server.local_addr()?;
/// let client = std::thread::spawn(move || -> io::Result<String> {
///     let mut stream = std::net::TcpStream::connect(addr)?;
///     stream.write_all(b"GET /stream HTTP/1.1\r\n\r\n")?;
///     let mut reply = String::new();
///     stream.read_to_string(&mut reply)?; // the stream ends with the connection
///     Ok(reply)
/// });
/// server.handle_request()?;
/// let reply = client.join().unwrap()?;
/// assert!(reply.contains("Content-Type: multipart/x-mixed-replace; boundary=FRAME\r\n"));
/// assert!(reply.ends_with(
///     "\r\n\r\n--FRAME\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\none\r\n\
///      --FRAME\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\ntwo\r\n--FRAME--\r\n"
/// ));
/// # Ok::<(), socketserver::Error>(())
/// ```
///
/// When the viewer goes away, `write_part` fails with `BrokenPipe` (or
/// `ConnectionReset`): let `?` return it; the server takes it as the normal end of the
/// stream and logs it at debug level only. A `HEAD` request gets the headers and then
/// `write_part` fails with `BrokenPipe` at once, so a streaming loop ends there too.
pub struct MultipartWriter<'r, 'a> {
    request: &'r mut HttpRequest<'a>,
    boundary: String,
    parts: u64,
}

impl<'r, 'a> MultipartWriter<'r, 'a> {
    /// Sends `Content-Type: multipart/x-mixed-replace; boundary=BOUNDARY` and ends the
    /// headers (after `send_response(200)` when the handler has not started a response).
    ///
    /// `boundary` is 1 to 70 letters, digits or `'()+_,-./:=?` (RFC 2046); anything else
    /// is refused with `InvalidInput`. Write it without the leading `--`.
    pub fn new(request: &'r mut HttpRequest<'a>, boundary: &str) -> io::Result<Self> {
        check_boundary(boundary)?;
        if !request.response_started() {
            request.send_response(200)?;
        }
        request.send_header(
            "Content-Type",
            format_args!("multipart/x-mixed-replace; boundary={boundary}"),
        )?;
        // Close-delimited, not chunked: some MJPEG clients cannot read chunks.
        request.send_header("Connection", "close")?;
        request.end_headers()?;
        Ok(MultipartWriter {
            request,
            boundary: boundary.to_owned(),
            parts: 0,
        })
    }

    /// Sends one part: the boundary line, `Content-Type` and `Content-Length`, the bytes,
    /// and a line ending, in one write, then flushes.
    pub fn write_part(&mut self, content_type: &str, body: &[u8]) -> io::Result<()> {
        if self.request.is_head() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "HEAD request: the stream's parts are not sent",
            ));
        }
        if content_type.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("part content type with a line break: {content_type:?}"),
            ));
        }
        let head = format!(
            "--{}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.boundary,
            body.len()
        );
        let mut slices = [
            IoSlice::new(head.as_bytes()),
            IoSlice::new(body),
            IoSlice::new(b"\r\n"),
        ];
        let mut wfile = self.request.wfile();
        let sent = write_all_vectored(&mut wfile, &mut slices).and_then(|()| wfile.flush());
        match sent {
            Ok(()) => {
                self.parts += 1;
                Ok(())
            }
            Err(err) => {
                if client_gone(&err) {
                    log::debug!(
                        "{}: stream ended after {} parts: {err}",
                        self.request.client_address(),
                        self.parts
                    );
                }
                Err(err)
            }
        }
    }

    /// How many parts were sent.
    pub fn parts_written(&self) -> u64 {
        self.parts
    }

    /// Ends the stream with the closing boundary (`--BOUNDARY--`). The connection
    /// closes after the handler returns, with or without it.
    pub fn finish(self) -> io::Result<()> {
        if self.request.is_head() {
            return Ok(());
        }
        let mut wfile = self.request.wfile();
        wfile.write_all(format!("--{}--\r\n", self.boundary).as_bytes())?;
        wfile.flush()
    }
}

impl std::fmt::Debug for MultipartWriter<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipartWriter")
            .field("boundary", &self.boundary)
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

fn check_boundary(boundary: &str) -> io::Result<()> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b);
    if (1..=70).contains(&boundary.len()) && boundary.bytes().all(allowed) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid multipart boundary {boundary:?}"),
        ))
    }
}

/// `Write::write_all` for several buffers: one system call per part in the usual case,
/// so a frame is not split into a small write that waits on Nagle's algorithm.
fn write_all_vectored(w: &mut impl Write, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert!(check_boundary("FRAME").is_ok());
        assert!(check_boundary("a'()+_,-./:=?b").is_ok());
        assert!(check_boundary("").is_err());
        assert!(check_boundary("has space").is_err());
        assert!(check_boundary("x\r\nInjected: 1").is_err());
        assert!(check_boundary(&"x".repeat(71)).is_err());
    }

    #[test]
    fn vectored_write_survives_short_writes() {
        /// Takes at most 3 bytes per call.
        struct Trickle(Vec<u8>);
        impl Write for Trickle {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let n = buf.len().min(3);
                self.0.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Trickle(Vec::new());
        let mut slices = [
            IoSlice::new(b"head"),
            IoSlice::new(b""),
            IoSlice::new(b"body"),
        ];
        write_all_vectored(&mut out, &mut slices).unwrap();
        assert_eq!(out.0, b"headbody");
    }
}
