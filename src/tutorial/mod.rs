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
//! 5. [A thread pool](ch05_thread_pool): `concurrent.futures`, as the `Pool` wrapper.
//! 6. [A process per client](ch06_forking): `multiprocessing` and `ForkingMixIn`.
//! 7. [socketserver-style handlers](ch07_handlers): `setup`/`handle`/`finish`, `rfile`,
//!    `wfile`, and the server's hooks.
//! 8. [One thread for thousands](ch08_event_driven): `select` and the event loop.
#![cfg_attr(
    feature = "http",
    doc = "9. [HTTP and the surveillance camera](ch09_http): `http.server` and MJPEG."
)]
#![cfg_attr(
    feature = "tls",
    doc = "10. [TLS](ch10_tls): `ssl.wrap_socket`, the echo server and the camera over HTTPS."
)]

pub mod ch01_iterative_server;
pub mod ch02_thread_per_client;
pub mod ch03_shared_state;
pub mod ch04_udp;
pub mod ch05_thread_pool;
pub mod ch06_forking;
pub mod ch07_handlers;
pub mod ch08_event_driven;
#[cfg(feature = "http")]
pub mod ch09_http;
#[cfg(feature = "tls")]
pub mod ch10_tls;
