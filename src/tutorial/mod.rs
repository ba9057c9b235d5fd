//! Tutorial: the Python socket lectures, step by step, in Rust.
//!
//! Each chapter starts from the Python you already know and shows the same program with
//! this crate. Every Rust block is a test that really runs: it binds `127.0.0.1:0`, talks to
//! itself with a `std::net` client, and shuts down. The full programs, with command-line
//! flags, are the crate's examples (`cargo run --example echo_server`).
//!
//! 1. [Iterative server](ch01_iterative_server): one client at a time.
//! 2. [A thread per client](ch02_thread_per_client): `threading` and `ThreadingMixIn`.
//! 3. [Shared state](ch03_shared_state): the chat server's client list, and the data
//!    races Rust turns into compile errors.
//! 4. [UDP](ch04_udp): datagram servers and the UDP chat server.
//! 5. [socketserver-style handlers](ch05_handlers): `setup`/`handle`/`finish`, `rfile`,
//!    `wfile`, and the server's hooks.
//! 6. HTTP and the surveillance camera: the [`http`](crate::http) module's documentation
//!    (`http.server`, `BaseHTTPRequestHandler`, and how `multipart/x-mixed-replace`
//!    streams a camera to a browser).

pub mod ch01_iterative_server;
pub mod ch02_thread_per_client;
pub mod ch03_shared_state;
pub mod ch04_udp;
pub mod ch05_handlers;
