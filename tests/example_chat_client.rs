//! `examples/chat_client.rs` against `examples/chat_server.rs`, as two users chat: what
//! one types reaches the other as `NAME: line` while they are typing (receiving thread),
//! never comes back to the one who typed it, and the end of input ends the client with
//! exit code 0; piped input is sent and answered before the client exits.

mod support;

use std::time::Duration;

use support::drive::Interactive;
use support::example::{client_command, run_with_input, ExampleServer};

#[test]
fn two_clients_chat_and_leave_with_exit_code_zero() {
    let server = ExampleServer::start("chat_server", &[]);
    let mut alice = Interactive::start("chat_client", server.addr, &["--name", "alice"]);
    let mut bob = Interactive::start("chat_client", server.addr, &["--name", "bob"]);
    // Bob is on the server's list once one of alice's probes reaches him.
    alice.type_until_heard("probe", &bob);
    alice.type_line("안녕, bob");
    assert_eq!(bob.next_line_except("alice: probe"), "alice: 안녕, bob");
    bob.type_line("hi, alice");
    // Alice never gets her own lines back: bob's is the first she sees.
    assert_eq!(alice.next_line(), "bob: hi, alice");
    assert_eq!(alice.finish(Duration::from_secs(3)).code(), Some(0));
    assert_eq!(bob.finish(Duration::from_secs(3)).code(), Some(0));
    assert!(alice.rest().is_empty(), "alice printed more");
}

#[test]
fn piped_lines_are_sent_and_relayed_before_exit() {
    // With --echo-self the server sends carol's lines back to her: a client whose input
    // ends at once still prints every reply before it exits.
    let server = ExampleServer::start("chat_server", &["--echo-self"]);
    let carol = client_command("chat_client", server.addr, &["--name", "carol"]);
    let (status, out) = run_with_input(carol, b"one\ntwo\n", Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), "carol: one\ncarol: two\n");
}
