//! # 9. HTTP and the surveillance camera
//!
//! The last program of lecture 002 streams a camera to a browser with
//! `http.server.HTTPServer`, `socketserver.ThreadingMixIn` and a `BaseHTTPRequestHandler`
//! whose `do_GET` serves a page and a `multipart/x-mixed-replace` stream of JPEG frames.
//!
//! The [`http`](crate::http) module's documentation is this chapter: the Python
//! `StreamingServer` / `StreamingHandler` beside the Rust port, and how
//! `multipart/x-mixed-replace` works. The full program, with a synthetic camera, is
//! `cargo run --example mjpeg_server`; open `http://127.0.0.1:8000/` in a browser.
//!
//! ## Serving a directory: `python -m http.server`
//!
//! Python's other `http.server` program is the one run from a shell:
//! `python -m http.server 8000 -d public` shares a directory, with
//! `SimpleHTTPRequestHandler` answering each `GET` with a file, an `index.html` or a
//! listing. Here that handler is [`FileServer`](crate::http::FileServer), and a server
//! of any mode serves it:
//!
//! ```python
//! handler = functools.partial(SimpleHTTPRequestHandler, directory="public")
//! with ThreadingHTTPServer(("127.0.0.1", 8000), handler) as httpd:
//!     httpd.serve_forever()
//! ```
//!
//! ```no_run
//! use socketserver::http::{FileServer, ThreadingHttpServer};
//!
//! let files = FileServer::new("public")?; // `directory=`: made canonical once
//! let server = ThreadingHttpServer::bind("127.0.0.1:8000", move || files.clone())?;
//! server.serve_forever()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it fixes from Python: `Range` requests (`206`, `416`; Python has none,
//! gh-86809), a path that starts with `//` never redirects to another host
//! (CVE-2021-28861), `..` in any spelling, `%2f`, `%5c`, backslashes and NUL are refused
//! and symbolic links out of the directory are not followed, and the access log escapes
//! control characters (gh-100001). File bodies go out by `sendfile`, so a large file
//! costs neither memory nor copies. A handler of your own sends one file with the same
//! `If-Modified-Since` and `Range` logic through
//! [`HttpRequest::send_file`](crate::http::HttpRequest::send_file). The program is
//! `cargo run --example http_server -- -d DIR`.
//!
//! ## Many small files: the event loop
//!
//! A threading server gives each connection a thread, so every request wakes one: with a
//! browser's worth of keep-alive connections asking for small files, the switches between
//! threads cost more than the files. nginx serves every connection from one thread,
//! driven by readiness events, and so can this crate: wrap the same handler in
//! [`HttpEvents`](crate::http::HttpEvents) and serve it on the event loop of chapter 8.
//! The HTTP is the same code (heads, bodies, ranges, errors, the access log); what
//! changes is that a request is handled once its whole body has arrived and its answer
//! is queued, so the handler never waits.
//!
//! ```no_run
//! use socketserver::event::EventLoopTcpServer;
//! use socketserver::http::{FileServer, HttpEvents};
//!
//! let files = FileServer::new("public")?;
//! let server = EventLoopTcpServer::builder()
//!     .disable_nagle_algorithm(true) // as the HTTP servers have it
//!     .bind("127.0.0.1:8000", move || HttpEvents::new(files.clone()))?;
//! server.serve_forever()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `cargo run --example http_server -- -d DIR --event-loop` is that server. On the
//! benchmark's 1 KiB file it answers more requests per second than nginx; the camera's
//! endless stream, whose handler waits for each frame, stays on a threading server.
