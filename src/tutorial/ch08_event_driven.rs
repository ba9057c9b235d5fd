//! # 8. One thread for thousands: `select` and the event loop
//!
//! Lecture 002's `select` echo servers serve every client from one thread: `select()`
//! says which sockets are readable or writable, each socket has a queue of outgoing
//! messages, data is queued when read and sent when its socket is writable. Lecture 003's
//! "ideal server model" asks for exactly that: little blocking, few threads, little
//! memory.
//!
//! Python's `socketserver` has no such mode; this crate does:
//! [`EventLoopTcpServer`](crate::EventLoopTcpServer) with an
//! [`EventHandler`](crate::EventHandler). The [`event`](crate::event) module's
//! documentation is this chapter: the Python `select` + `queue` server beside the Rust one,
//! what the lecture's loop gets wrong, and why one thread can hold ten thousand
//! connections (about 150 bytes of memory each, measured by the `event_loop_hold`
//! example) where a thread per connection costs a stack each.
//!
//! The full program is `cargo run --example select_echo_server`.
