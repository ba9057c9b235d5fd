//! `examples/chat_client.rs --tui` as people use it, each in a terminal (a tmux pane),
//! against `examples/chat_server.rs`: two full-screen clients and a line client chat in one
//! room, lines arrive while you type, a burst of 500 lines ends on screen and leaves the
//! screen responsive, a resize redraws, Esc, Ctrl-C, SIGTERM and SIGHUP each quit with exit
//! code 0 and the terminal as it was, and a killed server shows on screen, then exit code
//! 1 and one line on stderr. Piped, `--tui` is the line client. Without tmux the terminal
//! tests are skipped (never on CI).

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::drive::Interactive;
use support::example::{client_command, example_path, run_with_input, ExampleServer};
use support::tmux::{kill, Pane, Tmux, SCREEN_LIMIT};

/// What every chat screen shows.
const DRAWN: &str = "Received messages";

fn args(server: SocketAddr, name: &str) -> Vec<String> {
    let (ip, port) = (server.ip().to_string(), server.port().to_string());
    ["-i", &ip, "-p", &port, "--name", name, "--tui"]
        .map(String::from)
        .to_vec()
}

/// Starts `name`'s full-screen client and waits for its first screen.
fn open<'a>(tmux: &'a Tmux, server: SocketAddr, name: &str, size: (u16, u16)) -> Pane<'a> {
    let args = args(server, name);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let pane = tmux.run(name, size, &example_path("chat_client"), &args, &[]);
    pane.wait_for_text("connected to");
    pane
}

/// The messages on a chat screen, one per row, top to bottom (the list's rows with
/// something in them).
fn messages(screen: &str) -> Vec<String> {
    screen
        .lines()
        .take_while(|line| !line.contains("Send message"))
        .filter_map(|line| line.strip_prefix("│ "))
        .map(|row| row.trim_end_matches(['│', ' ']).to_owned())
        .filter(|row| !row.is_empty())
        .collect()
}

/// What is typed on the input line (the row inside the "Send message" box).
fn input_line(screen: &str) -> String {
    let mut rows = screen
        .lines()
        .skip_while(|line| !line.contains("Send message"));
    let row = rows.nth(1).unwrap_or_default();
    let row = row.strip_prefix("│ ").unwrap_or(row);
    row.trim_end_matches(['│', ' ']).to_owned()
}

#[test]
fn two_screens_and_a_line_client_chat_through_a_burst_and_a_resize() {
    let Some(tmux) = Tmux::start() else { return };
    let server = ExampleServer::start("chat_server", &[]);
    let alice = open(&tmux, server.addr, "alice", (80, 24));
    let bob = open(&tmux, server.addr, "bob", (80, 24));
    let mut carol = Interactive::start("chat_client", server.addr, &["--name", "carol"]);

    // All three are in the room once one of carol's probes shows on both screens: the
    // server relays a line only to clients it has registered.
    let end = Instant::now() + SCREEN_LIMIT;
    loop {
        carol.type_line("probe");
        let heard = |pane: &Pane| messages(&pane.screen()).contains(&"carol: probe".into());
        if heard(&alice) && heard(&bob) {
            break;
        }
        assert!(
            Instant::now() < end,
            "carol's probes never reached both screens"
        );
        std::thread::sleep(Duration::from_millis(50)); // between probes, not a wait
    }

    // A screen's line reaches the other screen and the line client, and shows on its own.
    alice.type_line("안녕, bob");
    bob.wait_for_text("alice: 안녕, bob");
    assert_eq!(carol.next_line(), "alice: 안녕, bob");
    alice.wait_for_text("alice: 안녕, bob");

    // A line arrives while bob is typing; what he typed stays, and he goes on.
    bob.type_text("half a li");
    bob.wait_for_screen("bob's half line", SCREEN_LIMIT, |s| {
        input_line(s) == "half a li"
    });
    carol.type_line("while you type");
    bob.wait_for_screen(
        "carol's line, and bob's half line kept",
        SCREEN_LIMIT,
        |s| messages(s).contains(&"carol: while you type".into()) && input_line(s) == "half a li",
    );
    bob.type_line("ne");
    alice.wait_for_text("bob: half a line");
    assert_eq!(carol.next_line(), "bob: half a line");
    bob.wait_for_screen(
        "bob's line sent, the input line emptied",
        SCREEN_LIMIT,
        |s| messages(s).contains(&"bob: half a line".into()) && input_line(s).is_empty(),
    );

    // A burst of 500 lines: both screens end on the last of them, in order.
    for n in 1..=500 {
        carol.type_line(&format!("burst {n}"));
    }
    for pane in [&alice, &bob] {
        // The rows are drawn top to bottom: with the last one there, the list is whole.
        let screen = pane.wait_for_screen("the end of the burst", SCREEN_LIMIT, |s| {
            messages(s).last().map(String::as_str) == Some("carol: burst 500")
        });
        let shown = messages(&screen);
        let tail: Vec<String> = (500 - shown.len() + 1..=500)
            .map(|n| format!("carol: burst {n}"))
            .collect();
        assert_eq!(shown, tail, "the last lines of the burst, in order");
    }
    // ... and stays responsive.
    alice.type_line("after the burst");
    bob.wait_for_screen("alice's line after the burst", SCREEN_LIMIT, |s| {
        messages(s).last().map(String::as_str) == Some("alice: after the burst")
    });
    assert_eq!(carol.next_line(), "alice: after the burst");

    // A resize redraws the whole screen to the new size, smaller and larger: the list's
    // frame, its last message, the input box and the status line.
    for (width, height) in [(44, 12), (100, 30)] {
        alice.resize(width, height);
        alice.wait_for_screen(
            &format!("a whole {width}x{height} screen"),
            SCREEN_LIMIT,
            |s| {
                let rows: Vec<&str> = s.lines().collect();
                rows.len() == usize::from(height)
                    && rows[0].starts_with("┌ Received messages")
                    && rows[0].chars().count() == usize::from(width)
                    && rows[0].ends_with('┐')
                    && messages(s).last().map(String::as_str) == Some("alice: after the burst")
                    && rows[rows.len() - 4].contains("Send message")
                    && rows[rows.len() - 1].starts_with(" connected to")
            },
        );
    }

    // Esc and Ctrl-C quit with exit code 0 and leave the terminal as it was.
    alice.press(&["Escape"]);
    bob.press(&["C-c"]);
    for pane in [&alice, &bob] {
        let finished = pane.finish();
        assert_eq!(finished.code, 0, "{finished:?}");
        assert_eq!(finished.stderr, "", "nothing on stderr");
        finished.assert_terminal_restored(DRAWN);
    }
    assert_eq!(carol.finish(Duration::from_secs(10)).code(), Some(0));
}

#[test]
fn a_killed_server_shows_on_screen_then_exit_code_one_and_one_line_on_stderr() {
    let Some(tmux) = Tmux::start() else { return };
    let mut server = ExampleServer::start("chat_server", &[]);
    let alice = open(&tmux, server.addr, "alice", (80, 24));
    alice.type_text("unsent");
    server.stop_with(libc::SIGKILL, Duration::from_secs(10));
    alice.wait_for_screen("the lost connection", SCREEN_LIMIT, |s| {
        s.lines().last().is_some_and(|status| {
            status.contains("connection lost") && status.contains("Esc quits")
        })
    });
    alice.press(&["Escape"]);
    let finished = alice.finish();
    assert_eq!(finished.code, 1, "{finished:?}");
    let lines: Vec<&str> = finished.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", finished.stderr);
    assert!(
        lines[0].starts_with(&format!("error: connection to {} lost: ", server.addr)),
        "{lines:?}"
    );
    finished.assert_terminal_restored(DRAWN);
}

#[test]
fn sigterm_and_sighup_quit_with_exit_code_zero_and_the_terminal_restored() {
    let Some(tmux) = Tmux::start() else { return };
    let server = ExampleServer::start("chat_server", &[]);
    // SIGQUIT, SIGUSR1/2 and SIGALRM too: every signal whose default would end the
    // process with the terminal left raw.
    for (name, signal) in [
        ("term", libc::SIGTERM),
        ("hup", libc::SIGHUP),
        ("quit", libc::SIGQUIT),
        ("usr1", libc::SIGUSR1),
        ("usr2", libc::SIGUSR2),
        ("alrm", libc::SIGALRM),
    ] {
        let pane = open(&tmux, server.addr, name, (80, 24));
        pane.type_text("typing");
        pane.wait_for_screen("the typed text", SCREEN_LIMIT, |s| {
            input_line(s) == "typing"
        });
        kill(pane.program_pid(), signal);
        let finished = pane.finish();
        assert_eq!(finished.code, 0, "{name}: {finished:?}");
        finished.assert_terminal_restored(DRAWN);
    }
}

#[test]
fn tui_without_a_terminal_is_the_line_client() {
    let server = ExampleServer::start("chat_server", &["--echo-self"]);
    let carol = client_command("chat_client", server.addr, &["--name", "carol", "--tui"]);
    let (status, out) = run_with_input(carol, b"one\ntwo\n", Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), "carol: one\ncarol: two\n");
}
