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
