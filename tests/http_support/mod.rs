//! Helpers for the HTTP tests: a raw-bytes client that reads responses and
//! `multipart/x-mixed-replace` parts (parsed with httparse, as the server is), and a
//! small application to serve.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use socketserver::http::{HttpHandler, HttpRequest, Limits, ThreadingHttpServer};

use crate::support::{self, Serving};

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

/// Reads one response; the body by `Content-Length`, or to the end of the connection
/// without one. `head_request`: a response to HEAD has no body.
pub fn read_response(reader: &mut impl BufRead, head_request: bool) -> io::Result<Response> {
    let mut response = read_head(reader)?;
    let no_body = head_request || matches!(response.status, 100..=199 | 204 | 304);
    if !no_body {
        match response.header("Content-Length") {
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
            reader: BufReader::new(support::connect(addr)),
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

/// One part of a `multipart/x-mixed-replace` body.
#[derive(Debug)]
pub struct Part {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Reads the next part: the `--boundary` line, the part's headers, `Content-Length`
/// bytes and the line ending after them.
pub fn read_part(reader: &mut impl BufRead, boundary: &str) -> io::Result<Part> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    assert_eq!(
        String::from_utf8_lossy(&line),
        format!("--{boundary}\r\n"),
        "boundary line"
    );
    let mut raw = Vec::new();
    loop {
        let start = raw.len();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if raw[start..] == *b"\r\n" {
            break;
        }
    }
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let Ok(httparse::Status::Complete((_, fields))) = httparse::parse_headers(&raw, &mut fields)
    else {
        panic!("bad part headers {:?}", String::from_utf8_lossy(&raw));
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| String::from_utf8_lossy(f.value).into_owned())
            .unwrap_or_else(|| panic!("part without {name}"))
    };
    let mut body = vec![0; field("Content-Length").parse().expect("numeric length")];
    reader.read_exact(&mut body)?;
    let mut end = [0; 2];
    reader.read_exact(&mut end)?;
    assert_eq!(&end, b"\r\n", "line ending after a part");
    Ok(Part {
        content_type: field("Content-Type"),
        body,
    })
}

/// The application the protocol tests run against.
///
/// - `GET /hello`: `hello` with a length;
/// - `GET /count`: how many requests this connection's handler has served;
/// - `GET /nolength`: a body without `Content-Length`;
/// - `POST /echo`: the request body back;
/// - `POST /ignore`: `ignored`, without reading the body;
/// - `GET /stream`: three `text/plain` parts;
/// - `GET /panic`, `GET /silent`, `GET /fail`: a panic, no response, an error;
/// - anything else: `404`.
pub struct App {
    pub served: usize,
    pub limits: Limits,
}

impl App {
    pub fn new(limits: Limits) -> Self {
        App { served: 0, limits }
    }
}

fn reply(req: &mut HttpRequest<'_>, body: &[u8]) -> io::Result<()> {
    req.send_response(200)?;
    req.send_header("Content-Type", "text/plain")?;
    req.send_header("Content-Length", body.len())?;
    req.end_headers()?;
    req.wfile().write_all(body)
}

impl HttpHandler for App {
    fn limits(&self) -> Limits {
        self.limits.clone()
    }

    fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        self.served += 1;
        match req.path() {
            "/hello" => reply(req, b"hello"),
            "/count" => reply(req, self.served.to_string().as_bytes()),
            "/nolength" => {
                req.send_response(200)?;
                req.end_headers()?;
                req.wfile().write_all(b"until the end")
            }
            "/stream" => {
                let mut stream = socketserver::http::MultipartWriter::new(req, "PART")?;
                for text in ["one", "two", "three"] {
                    stream.write_part("text/plain", text.as_bytes())?;
                }
                stream.finish()
            }
            "/panic" => panic!("the handler panicked on purpose"),
            "/silent" => Ok(()),
            "/fail" => Err(io::Error::other("the handler failed on purpose")),
            _ => req.send_error(404, None),
        }
    }

    fn do_post(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        self.served += 1;
        match req.path() {
            "/echo" => {
                let body = req.read_body()?;
                reply(req, &body)
            }
            "/ignore" => reply(req, b"ignored"),
            _ => req.send_error(404, None),
        }
    }
}

/// Serves [`App`] on a threading HTTP server on 127.0.0.1:0.
pub fn serve_app(limits: Limits) -> (SocketAddr, Arc<ThreadingHttpServer<App>>, Serving) {
    let server = ThreadingHttpServer::bind_http("127.0.0.1:0", move || App::new(limits.clone()))
        .expect("bind");
    let addr = server.local_addr().expect("local_addr");
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (addr, server, serving)
}
