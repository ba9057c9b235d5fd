//! `examples/temperature_client.rs --tui` in a terminal (a tmux pane) against
//! `examples/temperature_server.rs`, over TCP and UDP, as the lecture's window is used: type
//! Celsius, Enter, read Fahrenheit; a bad value shows the server's error and the client goes
//! on; Esc and Ctrl-C quit with exit code 0 and the terminal as it was, and so does a panic
//! (exit code 101). Piped, `--tui` is the line client. Without tmux the terminal tests are
//! skipped (never on CI).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::example::{client_command, example_path, run_with_input, ExampleServer};
use support::tmux::{Pane, Tmux, SCREEN_LIMIT};

/// What every temperature screen shows.
const DRAWN: &str = "Temperature in F";

fn open<'a>(tmux: &'a Tmux, server: SocketAddr, udp: bool, env: &[(&str, &str)]) -> Pane<'a> {
    let (ip, port) = (server.ip().to_string(), server.port().to_string());
    let mut args = vec!["-i", &ip, "-p", &port, "--tui"];
    if udp {
        args.push("--udp");
    }
    let name = if udp { "udp" } else { "tcp" };
    let pane = tmux.run(
        name,
        (80, 24),
        &example_path("temperature_client"),
        &args,
        env,
    );
    pane.wait_for_text("connected to");
    pane
}

/// The row of the screen that starts (inside the border) with `label`, after it.
fn field(screen: &str, label: &str) -> String {
    screen
        .lines()
        .find_map(|line| line.strip_prefix("│ ")?.strip_prefix(label))
        .unwrap_or_default()
        .trim_end_matches(['│', ' '])
        .trim_start()
        .to_owned()
}

/// Asks for three values, one of them bad, and reads each answer off the screen.
fn convert_on_screen(pane: &Pane) {
    for (celsius, answer, listed) in [
        ("36.6", "97.9", "36.6 C = 97.9 F"),
        (
            "abc",
            r#"error: not a number: "abc""#,
            r#"abc: error: not a number: "abc""#,
        ),
        ("-40", "-40.0", "-40 C = -40.0 F"),
    ] {
        pane.type_text(celsius);
        pane.wait_for_screen("the typed value", SCREEN_LIMIT, |s| {
            field(s, "Enter a temperature (C)") == celsius
        });
        pane.press(&["Enter"]);
        // The answer in its field and in the list, the Celsius field emptied.
        let what = format!("{answer:?} shown, {listed:?} listed");
        pane.wait_for_screen(&what, SCREEN_LIMIT, |s| {
            field(s, "Temperature in F") == answer
                && s.contains(listed)
                && field(s, "Enter a temperature (C)").is_empty()
        });
    }
}

#[test]
fn celsius_in_fahrenheit_out_over_tcp_then_esc() {
    let Some(tmux) = Tmux::start() else { return };
    let server = ExampleServer::start("temperature_server", &[]);
    let pane = open(&tmux, server.addr, false, &[]);
    assert!(pane.screen().contains("over TCP"));
    convert_on_screen(&pane);
    pane.press(&["Escape"]);
    let finished = pane.finish();
    assert_eq!(finished.code, 0, "{finished:?}");
    assert_eq!(finished.stderr, "");
    finished.assert_terminal_restored(DRAWN);
}

#[test]
fn celsius_in_fahrenheit_out_over_udp_then_ctrl_c() {
    let Some(tmux) = Tmux::start() else { return };
    let server = ExampleServer::start("temperature_server", &["--udp"]);
    let pane = open(&tmux, server.addr, true, &[]);
    assert!(pane.screen().contains("over UDP"));
    convert_on_screen(&pane);
    pane.press(&["C-c"]);
    let finished = pane.finish();
    assert_eq!(finished.code, 0, "{finished:?}");
    assert_eq!(finished.stderr, "");
    finished.assert_terminal_restored(DRAWN);
}

#[test]
fn a_panic_restores_the_terminal_before_its_message() {
    let Some(tmux) = Tmux::start() else { return };
    let server = ExampleServer::start("temperature_server", &[]);
    // The receiving thread panics at the first answer (a hook for this test).
    let pane = open(
        &tmux,
        server.addr,
        false,
        &[("SOCKETSERVER_TUI_TEST_PANIC", "1")],
    );
    pane.type_line("36.6");
    let finished = pane.finish();
    assert_eq!(finished.code, 101, "{finished:?}");
    assert!(
        finished
            .stderr
            .contains("SOCKETSERVER_TUI_TEST_PANIC is set"),
        "{:?}",
        finished.stderr
    );
    finished.assert_terminal_restored(DRAWN);
}

#[test]
fn tui_without_a_terminal_is_the_line_client() {
    for udp in [false, true] {
        let flags: &[&str] = if udp { &["--udp"] } else { &[] };
        let server = ExampleServer::start("temperature_server", flags);
        let mut args = vec!["--tui"];
        args.extend_from_slice(flags);
        let client = client_command("temperature_client", server.addr, &args);
        let (status, out) = run_with_input(client, b"36.6\nabc\n", Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "udp={udp}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "97.9\nerror: not a number: \"abc\"\n",
            "udp={udp}"
        );
    }
}
