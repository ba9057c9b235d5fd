//! `examples/udp_chat_client.rs` against `examples/udp_chat_server.rs`: lines typed go out
//! as `[ID] line`, relayed datagrams are printed as they arrive (receiving thread), and the
//! end of input says `[ID] quit` and exits 0.

mod support;

use std::time::Duration;

use support::drive::Interactive;
use support::example::{client_command, run_with_input, ExampleServer};
use support::{recv_text, udp_client, IO_TIMEOUT};

#[test]
fn piped_lines_go_out_as_id_line_then_quit() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    // A listener the server knows: its hello reaches a second socket.
    let (listener, other) = (udp_client(), udp_client());
    listener.send_to(b"[t] hello", server.addr).unwrap();
    other.send_to(b"[o] hello", server.addr).unwrap();
    assert_eq!(recv_text(&listener), "[o] hello");
    let client = client_command("udp_chat_client", server.addr, &["--id", "x"]);
    let (status, out) = run_with_input(client, "one\n안녕\n".as_bytes(), IO_TIMEOUT);
    assert_eq!(status.code(), Some(0));
    assert!(out.is_empty(), "nobody spoke to x: {out:?}");
    assert_eq!(recv_text(&listener), "[x] one");
    assert_eq!(recv_text(&listener), "[x] 안녕");
    assert_eq!(recv_text(&listener), "[x] quit");
}

#[test]
fn two_clients_chat() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    let mut alice = Interactive::start("udp_chat_client", server.addr, &["--id", "alice"]);
    let mut bob = Interactive::start("udp_chat_client", server.addr, &["--id", "bob"]);
    // The server learns bob's address; once one of alice's probes reaches bob, both
    // are known.
    bob.type_line("hi all");
    alice.type_until_heard("probe", &bob);
    alice.type_line("hello, bob");
    assert_eq!(bob.next_line_except("[alice] probe"), "[alice] hello, bob");
    bob.type_line("hey, alice");
    // (bob's first line reached alice only if she was known by then)
    assert_eq!(alice.next_line_except("[bob] hi all"), "[bob] hey, alice");
    assert_eq!(alice.finish(Duration::from_secs(3)).code(), Some(0));
    assert_eq!(bob.next_line(), "[alice] quit", "alice said goodbye");
    assert_eq!(bob.finish(Duration::from_secs(3)).code(), Some(0));
}
