//! `examples/reverse_client.rs` with its input piped, against `examples/reverse_server.rs`,
//! run as the assignment does (`-p PORT -i 127.0.0.1`): one reversed line per input line.

mod support;

use std::time::Duration;

use support::example::{client_command, run_with_input, ExampleServer};

#[test]
fn piped_lines_print_reversed() {
    let server = ExampleServer::start("reverse_server", &[]);
    let client = client_command("reverse_client", server.addr, &[]);
    let input = "Hello World!!!\nHAHAHAHAH\n안녕하세요\n";
    let (status, out) = run_with_input(client, input.as_bytes(), Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "!!!dlroW olleH\nHAHAHAHAH\n요세하녕안\n"
    );
}
