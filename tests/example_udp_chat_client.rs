//! `examples/udp_chat_client.rs` against `examples/udp_chat_server.rs`: lines typed go out
//! as `[ID] line`, relayed datagrams are printed as they arrive (receiving thread), and the
//! end of input says `[ID] quit` and exits 0.

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use support::drive::Interactive;
use support::example::{client_command, run_with_input, ExampleServer};
use support::{udp_client, IO_TIMEOUT};

fn recv(socket: &UdpSocket) -> String {
    let mut buf = [0; 1024];
    let n = socket.recv(&mut buf).expect("a relayed datagram");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn piped_lines_go_out_as_id_line_then_quit() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    // A listener the server knows: its hello reaches a second socket.
    let (listener, other) = (udp_client(), udp_client());
    listener.send_to(b"[t] hello", server.addr).unwrap();
    other.send_to(b"[o] hello", server.addr).unwrap();
    assert_eq!(recv(&listener), "[o] hello");
    let client = client_command("udp_chat_client", server.addr, &["--id", "x"]);
    let (status, out) = run_with_input(client, "one\n안녕\n".as_bytes(), IO_TIMEOUT);
    assert_eq!(status.code(), Some(0));
    assert!(out.is_empty(), "nobody spoke to x: {out:?}");
    assert_eq!(recv(&listener), "[x] one");
    assert_eq!(recv(&listener), "[x] 안녕");
    assert_eq!(recv(&listener), "[x] quit");
}

#[test]
fn two_clients_chat() {
    let server = ExampleServer::start("udp_chat_server", &[]);
    let mut alice = Interactive::start("udp_chat_client", server.addr, &["--id", "alice"]);
    let mut bob = Interactive::start("udp_chat_client", server.addr, &["--id", "bob"]);
    bob.type_line("hi all"); // the server learns bob's address
                             // Once one of alice's probes reaches bob, both are known.
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        assert!(Instant::now() < deadline, "bob never heard alice");
        alice.type_line("probe");
        if bob.line_within(Duration::from_millis(100)).is_some() {
            break;
        }
    }
    alice.type_line("hello, bob");
    let first_other = loop {
        let line = bob.next_line();
        if line != "[alice] probe" {
            break line;
        }
    };
    assert_eq!(first_other, "[alice] hello, bob");
    bob.type_line("hey, alice");
    let first_other = loop {
        let line = alice.next_line();
        if line != "[bob] hi all" {
            break line; // (bob's first line reached alice only if she was known by then)
        }
    };
    assert_eq!(first_other, "[bob] hey, alice");
    assert_eq!(alice.finish(Duration::from_secs(3)).code(), Some(0));
    assert_eq!(bob.next_line(), "[alice] quit", "alice said goodbye");
    assert_eq!(bob.finish(Duration::from_secs(3)).code(), Some(0));
}
