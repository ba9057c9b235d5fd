//! `examples/threaded_demo.rs`: it serves three clients, each reply names a handler
//! thread (three different ones, none of them the serving loop's), then it shuts down and
//! exits 0 on its own.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::example::{example_path, run_with_input};

#[test]
fn three_clients_are_served_by_three_threads_then_it_exits_zero() {
    let mut demo = Command::new(example_path("threaded_demo"));
    demo.env("RUST_LOG", "warn").stderr(Stdio::inherit());
    let (status, out) = run_with_input(demo, b"", Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[0].starts_with("listening on 127.0.0.1:"), "{out}");
    let serving = lines[1]
        .strip_prefix("Server loop running in thread: ")
        .expect("the serving thread");
    let mut handlers = Vec::new();
    for (n, line) in lines[2..].iter().enumerate() {
        let reply = line.strip_prefix("Received: ").expect("a reply");
        let (thread, message) = reply.split_once(": ").expect("THREAD: message");
        assert_eq!(message, format!("Hello World {}", n + 1));
        assert!(thread.starts_with("request-"), "{thread}");
        assert_ne!(thread, serving, "a handler ran on the serving thread");
        handlers.push(thread);
    }
    handlers.sort();
    handlers.dedup();
    assert_eq!(handlers.len(), 3, "one thread per client: {out}");
}
