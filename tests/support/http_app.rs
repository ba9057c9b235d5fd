//! A small application for the HTTP protocol tests, served on a threading HTTP server or
//! on the event loop.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use socketserver::event::EventLoopTcpServer;
use socketserver::http::{HttpEvents, HttpHandler, HttpRequest, Limits, ThreadingHttpServer};

use super::Serving;

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
#[derive(Default)]
pub struct App {
    pub served: usize,
}

fn reply(req: &mut HttpRequest<'_>, body: &[u8]) -> io::Result<()> {
    req.send_response(200)?;
    req.send_header("Content-Type", "text/plain")?;
    req.send_header("Content-Length", body.len())?;
    req.end_headers()?;
    req.wfile().write_all(body)
}

impl HttpHandler for App {
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

/// Serves [`App`] on a threading HTTP server on 127.0.0.1:0 with these limits.
pub fn serve_app(limits: Limits) -> (SocketAddr, Arc<ThreadingHttpServer<App>>, Serving) {
    let server = ThreadingHttpServer::builder()
        .limits(limits)
        .bind("127.0.0.1:0", App::default)
        .expect("bind");
    let addr = server.local_addr().expect("local_addr");
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (addr, server, serving)
}

/// The two ways to serve HTTP: a thread per connection, and every connection on one event
/// loop (`HttpEvents`).
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Threading,
    EventLoop,
}

/// Serves [`App`] in `mode` on 127.0.0.1:0 with these limits.
pub fn serve_app_in(mode: Mode, limits: Limits) -> (SocketAddr, Serving) {
    match mode {
        Mode::Threading => {
            let (addr, _, serving) = serve_app(limits);
            (addr, serving)
        }
        Mode::EventLoop => {
            serve_events(move || HttpEvents::new(App::default()).limits(limits.clone()))
        }
    }
}

/// Serves the handlers `factory` makes in `mode` on 127.0.0.1:0, with the default limits.
pub fn serve_in<H, F>(mode: Mode, factory: F) -> (SocketAddr, Serving)
where
    H: HttpHandler,
    F: Fn() -> H + Send + Sync + 'static,
{
    match mode {
        Mode::Threading => {
            let server = ThreadingHttpServer::bind("127.0.0.1:0", factory).expect("bind");
            let addr = server.local_addr().expect("local_addr");
            let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
            (addr, serving)
        }
        Mode::EventLoop => serve_events(move || HttpEvents::new(factory())),
    }
}

/// An event-loop server on 127.0.0.1:0 whose connections `make` serves, with
/// `TCP_NODELAY` as the HTTP servers have it.
fn serve_events<H, F>(make: F) -> (SocketAddr, Serving)
where
    H: HttpHandler,
    F: Fn() -> HttpEvents<H> + Send + Sync + 'static,
{
    let server = EventLoopTcpServer::builder()
        .disable_nagle_algorithm(true)
        .bind("127.0.0.1:0", make)
        .expect("bind");
    let addr = server.local_addr().expect("local_addr");
    let serving = Serving::start(server.shutdown_handle(), move || server.serve_forever());
    (addr, serving)
}
