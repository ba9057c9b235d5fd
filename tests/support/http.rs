//! A raw-bytes HTTP client for the tests: it writes requests as given and reads
//! responses (heads parsed with httparse, as the server's requests are).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

/// A response as a client saw it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads a head (status line and headers) through the blank line.
pub fn read_head(reader: &mut impl BufRead) -> io::Result<Response> {
    let mut raw = Vec::new();
    loop {
        let start = raw.len();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed inside a head: {:?}",
                    String::from_utf8_lossy(&raw)
                ),
            ));
        }
        if raw[start..] == *b"\r\n" {
            break;
        }
    }
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut fields);
    match response.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        other => panic!(
            "bad response head {other:?}: {:?}",
            String::from_utf8_lossy(&raw)
        ),
    }
    Ok(Response {
        status: response.code.expect("status"),
        headers: response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body: Vec::new(),
    })
}

/// Reads a chunked body (sizes, data, the last chunk and an empty trailer section),
/// strictly: any framing error is an `InvalidData` error.
pub fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let size = line
            .strip_suffix("\r\n")
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .ok_or_else(|| bad(format!("bad chunk-size line {line:?}")))?;
        if size == 0 {
            let mut end = String::new();
            reader.read_line(&mut end)?;
            if end != "\r\n" {
                return Err(bad(format!("trailer {end:?} after the last chunk")));
            }
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size as usize, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
        if crlf != *b"\r\n" {
            return Err(bad(format!("chunk data ends with {crlf:?}")));
        }
    }
}

/// Reads one response; the body by `Content-Length`, chunked, or to the end of the
/// connection without either. `head_request`: a response to HEAD has no body.
pub fn read_response(reader: &mut impl BufRead, head_request: bool) -> io::Result<Response> {
    let mut response = read_head(reader)?;
    let no_body = head_request || matches!(response.status, 100..=199 | 204 | 304);
    if !no_body {
        let chunked = response
            .header("Transfer-Encoding")
            .is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
        match response.header("Content-Length") {
            _ if chunked => response.body = read_chunked(reader)?,
            Some(length) => {
                let mut body = vec![0; length.parse().expect("numeric Content-Length")];
                reader.read_exact(&mut body)?;
                response.body = body;
            }
            None => {
                reader.read_to_end(&mut response.body)?;
            }
        }
    }
    Ok(response)
}

/// A client connection with a buffered reader.
pub struct Client {
    pub reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Self {
        Client {
            reader: BufReader::new(super::connect(addr)),
        }
    }

    pub fn send(&mut self, raw: &[u8]) {
        self.reader.get_mut().write_all(raw).expect("send request");
    }

    pub fn response(&mut self) -> Response {
        read_response(&mut self.reader, false).expect("read response")
    }

    pub fn head_response(&mut self) -> Response {
        read_response(&mut self.reader, true).expect("read response")
    }

    pub fn request(&mut self, raw: &[u8]) -> Response {
        self.send(raw);
        self.response()
    }

    /// Whether the server has closed the connection (end-of-file, or a reset).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0];
        match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => panic!("unexpected byte {:?} after the response", byte[0] as char),
            Err(err) if err.kind() == io::ErrorKind::ConnectionReset => true,
            Err(err) => panic!("connection neither open nor closed: {err}"),
        }
    }
}

/// One request on a fresh connection.
pub fn exchange(addr: SocketAddr, raw: &[u8]) -> Response {
    Client::connect(addr).request(raw)
}
