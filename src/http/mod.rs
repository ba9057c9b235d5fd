//! An `http.server`-style layer: [`HttpHandler`] (Python's `BaseHTTPRequestHandler`),
//! [`HttpServer`] and [`ThreadingHttpServer`], [`HttpEvents`] (HTTP on the event loop),
//! [`FileServer`] (Python's `SimpleHTTPRequestHandler`, `python -m http.server`), and
//! [`MultipartWriter`] for MJPEG streams.
//!
//! As in Python, an HTTP server is a stream server whose requests speak HTTP: its socket
//! kind is [`Http<Tcp>`](Http) (or `Http<Unix>`), and any mode serves it
//! ([`ThreadingHttpServer`], [`PoolHttpServer`], [`ForkingHttpServer`], ...). The event
//! loop serves the same handlers through [`HttpEvents`], every connection on one thread.
//!
//! # Tutorial: the surveillance camera of lecture 002
//!
//! The last program of the lecture streams a webcam to a browser. A
//! `ThreadingMixIn` + `HTTPServer` serves a page whose `<img>` points at
//! `/stream.mjpg`, and that URL answers with an endless `multipart/x-mixed-replace`
//! response: one JPEG after another, each replacing the last on screen.
//!
//! ## The Python program
//!
//! ```python
//! PAGE = """<html><head><title>camera</title></head>
//! <body><img src="stream.mjpg" width="640" height="480"></body></html>"""
//!
//! class StreamingOutput(io.BufferedIOBase):        # the camera writes frames here
//!     def __init__(self):
//!         self.frame = None
//!         self.condition = Condition()
//!     def write(self, buf):
//!         with self.condition:
//!             self.frame = buf
//!             self.condition.notify_all()
//!
//! class StreamingHandler(server.BaseHTTPRequestHandler):
//!     def do_GET(self):
//!         if self.path == '/':
//!             self.send_response(301)
//!             self.send_header('Location', '/index.html')
//!             self.end_headers()
//!         elif self.path == '/index.html':
//!             content = PAGE.encode('utf-8')
//!             self.send_response(200)
//!             self.send_header('Content-Type', 'text/html')
//!             self.send_header('Content-Length', len(content))
//!             self.end_headers()
//!             self.wfile.write(content)
//!         elif self.path == '/stream.mjpg':
//!             self.send_response(200)
//!             self.send_header('Age', 0)
//!             self.send_header('Cache-Control', 'no-cache, private')
//!             self.send_header('Pragma', 'no-cache')
//!             self.send_header('Content-Type', 'multipart/x-mixed-replace; boundary=FRAME')
//!             self.end_headers()
//!             try:
//!                 while True:
//!                     with output.condition:
//!                         output.condition.wait()
//!                         frame = output.frame
//!                     self.wfile.write(b'--FRAME\r\n')
//!                     self.send_header('Content-Type', 'image/jpeg')
//!                     self.send_header('Content-Length', len(frame))
//!                     self.end_headers()
//!                     self.wfile.write(frame)
//!                     self.wfile.write(b'\r\n')
//!             except Exception as e:
//!                 logging.warning('Removed streaming client %s: %s', self.client_address, str(e))
//!         else:
//!             self.send_error(404)
//!             self.end_headers()
//!
//! class StreamingServer(socketserver.ThreadingMixIn, server.HTTPServer):
//!     allow_reuse_address = True
//!     daemon_threads = True
//!
//! output = StreamingOutput()
//! camera.start_recording(output, format='mjpeg')
//! server = StreamingServer(('', 8000), StreamingHandler)
//! server.serve_forever()
//! ```
//!
//! ## The Rust port
//!
//! Line for line: the handler's `do_get` is Python's `do_GET`, `send_response`,
//! `send_header` and `end_headers` keep their names, `wfile()` is `self.wfile`, and
//! [`MultipartWriter`] writes the `--FRAME` parts of the loop. `ThreadingHttpServer`
//! is `StreamingServer`: a threading HTTP server with `allow_reuse_address` and
//! `daemon_threads` on. The shared `output` is not a global but an `Arc` that the
//! handler factory hands to each handler. The frames here are short byte strings and
//! this test plays the camera; `examples/mjpeg_server.rs` is the full program, with a
//! synthetic camera that encodes real JPEGs.
//!
//! ```
//! use socketserver::http::{HttpHandler, HttpRequest, MultipartWriter, ThreadingHttpServer};
//! use std::io::{self, BufRead, BufReader, Read, Write};
//! use std::sync::{Arc, Condvar, Mutex};
//!
//! const PAGE: &str = "<html><head><title>camera</title></head>\
//!     <body><img src=\"stream.mjpg\" width=\"640\" height=\"480\"></body></html>";
//!
//! /// Python's `StreamingOutput`: the latest frame and a condition to wait for the next.
//! /// Frames are numbered, so a viewer that fell behind takes the newest one and skips
//! /// the rest instead of slowing the camera down.
//! #[derive(Default)]
//! struct StreamingOutput {
//!     latest: Mutex<Latest>,
//!     condition: Condvar,
//! }
//!
//! #[derive(Default)]
//! struct Latest {
//!     number: u64,
//!     frame: Arc<Vec<u8>>,
//!     stopped: bool,
//! }
//!
//! impl StreamingOutput {
//!     fn write(&self, frame: Vec<u8>) {
//!         let mut latest = self.latest.lock().unwrap();
//!         latest.number += 1;
//!         latest.frame = Arc::new(frame); // encoded once, shared by every viewer
//!         self.condition.notify_all();
//!     }
//!
//!     fn stop(&self) {
//!         self.latest.lock().unwrap().stopped = true;
//!         self.condition.notify_all();
//!     }
//!
//!     /// Waits for a frame newer than `seen`; `None` once the camera has stopped.
//!     fn next_frame(&self, seen: &mut u64) -> Option<Arc<Vec<u8>>> {
//!         let latest = self.latest.lock().unwrap();
//!         let latest = self
//!             .condition
//!             .wait_while(latest, |l| l.number == *seen && !l.stopped)
//!             .unwrap();
//!         if latest.stopped {
//!             return None;
//!         }
//!         *seen = latest.number;
//!         Some(Arc::clone(&latest.frame))
//!     }
//! }
//!
//! struct StreamingHandler {
//!     output: Arc<StreamingOutput>,
//! }
//!
//! impl HttpHandler for StreamingHandler {
//!     fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
//!         match req.path() {
//!             "/" => {
//!                 req.send_response(301)?;
//!                 req.send_header("Location", "/index.html")?;
//!                 req.send_header("Content-Length", 0)?;
//!                 req.end_headers()
//!             }
//!             "/index.html" => {
//!                 req.send_response(200)?;
//!                 req.send_header("Content-Type", "text/html")?;
//!                 req.send_header("Content-Length", PAGE.len())?;
//!                 req.end_headers()?;
//!                 req.wfile().write_all(PAGE.as_bytes())
//!             }
//!             "/stream.mjpg" => {
//!                 req.send_response(200)?;
//!                 req.send_header("Age", 0)?;
//!                 req.send_header("Cache-Control", "no-cache, private")?;
//!                 req.send_header("Pragma", "no-cache")?;
//!                 let mut stream = MultipartWriter::new(req, "FRAME")?;
//!                 let mut seen = 0;
//!                 while let Some(frame) = self.output.next_frame(&mut seen) {
//!                     // A viewer that left ends the loop here: `?` returns the broken
//!                     // pipe, which the server logs at debug level (Python's warning).
//!                     stream.write_part("image/jpeg", &frame)?;
//!                 }
//!                 stream.finish()
//!             }
//!             _ => req.send_error(404, None),
//!         }
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let output = Arc::new(StreamingOutput::default());
//! let shared = Arc::clone(&output);
//! let server = ThreadingHttpServer::bind("127.0.0.1:0", move || StreamingHandler {
//!     output: Arc::clone(&shared),
//! })?;
//! let addr = server.local_addr()?; // port 0: the system picked a free port
//! let handle = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.serve_forever());
//!
//! // A browser's first request, made with a plain TcpStream.
//! let mut client = std::net::TcpStream::connect(addr)?;
//! client.write_all(b"GET /index.html HTTP/1.0\r\n\r\n")?;
//! let mut page = String::new();
//! client.read_to_string(&mut page)?; // HTTP/1.0: the server closes after the reply
//! assert!(page.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(page.ends_with(PAGE));
//!
//! // The <img> tag's request: the camera writes a frame, the viewer receives it.
//! output.write(b"frame 1".to_vec());
//! let viewer = std::net::TcpStream::connect(addr)?;
//! viewer.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
//! (&viewer).write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: camera\r\n\r\n")?;
//! let mut viewer = BufReader::new(viewer);
//! let mut line = String::new();
//! while line != "frame 1\r\n" {
//!     line.clear();
//!     viewer.read_line(&mut line)?;
//! }
//! output.write(b"frame 2".to_vec());
//! let mut rest = String::new();
//! viewer.read_line(&mut rest)?;
//! assert_eq!(rest, "--FRAME\r\n");
//!
//! output.stop(); // the camera stops: every streaming handler returns
//! viewer.read_to_string(&mut rest)?;
//! assert!(rest.ends_with("Content-Length: 7\r\n\r\nframe 2\r\n--FRAME--\r\n"));
//!
//! handle.shutdown();
//! serving.join().unwrap()?;
//! # Ok(())
//! # }
//! ```
//!
//! ## How `multipart/x-mixed-replace` works
//!
//! The response to `/stream.mjpg` is one HTTP response that never ends. Its head names
//! the type and a boundary string, and has no `Content-Length`:
//!
//! ```text
//! HTTP/1.1 200 OK
//! Content-Type: multipart/x-mixed-replace; boundary=FRAME
//! Connection: close
//!
//! --FRAME
//! Content-Type: image/jpeg
//! Content-Length: 48213
//!
//! <48213 bytes of JPEG>
//! --FRAME
//! Content-Type: image/jpeg
//! Content-Length: 48377
//!
//! <48377 bytes of JPEG>
//! ...
//! ```
//!
//! Each part starts with `--` and the boundary on a line of its own, has its own
//! headers, a blank line, and its bytes. "Mixed" says the parts may differ in type;
//! "replace" tells the browser that each part replaces the one before: an `<img>`
//! shows the newest frame, which is Motion JPEG without any video codec. The boundary
//! in the header is written without the leading `--` that precedes it in the body
//! (mixing the two up is a classic reason for a blank image).
//!
//! What this layer does about it:
//!
//! - [`MultipartWriter`] writes each part's `Content-Type` and `Content-Length` (so a
//!   client need not search the JPEG bytes for the boundary), sends the part in one
//!   write and flushes it, so the frame is on the wire at once.
//! - The outer response has no length, so [`HttpRequest::end_headers`] adds
//!   `Connection: close`: the stream ends when the connection does. No chunked
//!   encoding is used; some MJPEG clients cannot read it.
//! - A viewer that closes the tab makes the next write fail with a broken pipe. That
//!   is how streams end, so it is logged at debug level, not reported as an error.
//! - Frames are encoded once and shared (`Arc`); each viewer waits for a frame newer
//!   than its last, so a slow viewer skips frames and never holds up the camera or
//!   the other viewers.
//! - For a clean stop, make the camera stop (every streaming loop then returns) and
//!   call [`close_connections`](crate::Server::close_connections) after
//!   `serve_forever` returns, which ends idle keep-alive connections.
//!
//! # What is different from Python's `http.server`
//!
//! - Requests are parsed by `httparse`. Limits ([`Limits`]) answer `414`, `431`, `413`
//!   and `400` and close the connection; HTTP/2 and later get `505`.
//! - Chunked request bodies are decoded (the body limit applies to the decoded size);
//!   both framings at once, two lengths, another transfer coding or a malformed chunk
//!   get `400` and the connection closes, so no request can be smuggled past a proxy.
//! - Keep-alive is on for HTTP/1.1 (Python needs `protocol_version = "HTTP/1.1"`).
//!   A response without `Content-Length` is chunked for HTTP/1.1 clients and
//!   close-delimited for HTTP/1.0 ones, instead of leaving the client waiting
//!   (python/cpython#75259).
//! - `HEAD` runs `do_get` with the body dropped unless `do_head` is implemented.
//! - The body reader stops at the end of the body; a handler cannot read into the next
//!   request, and what it leaves unread is skipped.
//! - Header names and values with line breaks are refused (no response splitting).
//! - A handler that sends nothing gets a `500` sent for it; a panic is answered with
//!   `500` when nothing was sent, then reported through `handle_error`.
//! - The access log goes through `log` at info level, not to `stderr`.

mod body;
mod chunked;
mod connection;
mod errors;
mod events;
mod exchange;
mod files;
mod handler;
mod head;
mod headers;
mod limits;
mod log;
mod multipart;
mod request;
mod response;
mod server;
mod status;
mod text;

pub use body::Body;
pub use connection::HttpConnection;
pub use events::HttpEvents;
pub use files::FileServer;
pub use handler::{unsupported_method, HttpHandler};
pub use headers::Headers;
pub use limits::Limits;
pub use multipart::MultipartWriter;
pub use request::HttpRequest;
pub use response::BodyWriter;
pub use server::{
    ForkingHttpServer, Http, HttpOptions, HttpServer, PoolHttpServer, ThreadingHttpServer,
    DEFAULT_SERVER_VERSION,
};
pub use status::{reason_phrase, Version};

// For the fuzz targets (`crate::fuzzing`), which drive the parsers directly.
#[cfg(feature = "fuzzing")]
pub(crate) use {
    body::BodyState,
    chunked::ChunkedReader,
    head::{read_head, ReadHead},
};
