//! Full-screen programs driven as a person at a terminal would: each runs in a `tmux` pane,
//! keys go in with `send-keys`, the screen comes out with `capture-pane -p`.
//!
//! Every [`Tmux`] is a tmux server of its own, on a socket in a temporary directory of its
//! own (`tmux -S`, no user config), so tests running at once never see each other's
//! sessions and nothing is left behind; dropping it kills the programs it ran (by pid),
//! then the server. A program runs inside `sh`, which notes the terminal modes (`stty -g`)
//! before it and compares them after it, then prints `TTY=same` or `TTY=changed` and
//! `EXIT=<code>` on the pane and waits: [`Pane::finish`] reads them, and asks tmux whether
//! the pane is still on the alternate screen or its cursor hidden while the shell still
//! runs (tmux hides a dead pane's cursor). A pane whose shell died anyway stays
//! (`remain-on-exit`), so the last screen can always be read.
//!
//! Nothing waits by sleeping: [`Pane::wait_for_screen`] captures the screen again and
//! again until a predicate holds or a deadline passes, and then fails with the screen.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::programs::require;

/// How long a screen may take to show what a test waits for. Generous: the machine may be
/// busy building while the tests run.
pub const SCREEN_LIMIT: Duration = Duration::from_secs(20);

/// The pause between two captures of a screen that is not there yet.
const POLL: Duration = Duration::from_millis(20);

/// A tmux server of one test's own.
pub struct Tmux {
    /// `-S` socket path, in `dir`.
    socket: PathBuf,
    dir: tempfile::TempDir,
    /// The tmux server's pid, once it runs.
    server_pid: Mutex<Option<u32>>,
    /// Every pane's shell, and the programs found in them.
    pids: Mutex<Vec<u32>>,
}

impl Tmux {
    /// A new tmux server (started by the first [`Tmux::run`]); `None`, after a `SKIPPED`
    /// line, when tmux is not installed (on CI that fails the test instead).
    pub fn start() -> Option<Self> {
        if !require("tmux") {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("tmux.socket");
        // No status line: the pane is the whole window, so a screen is what the program
        // drew. Panes stay after their program: the last screen can be read.
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g status off\nset -g remain-on-exit on\nset -g history-limit 100\n",
        )
        .expect("write tmux.conf");
        Some(Tmux {
            socket,
            dir,
            server_pid: Mutex::new(None),
            pids: Mutex::new(Vec::new()),
        })
    }

    /// Runs `tmux -L <socket> ARGS`; fails the test when tmux does.
    fn tmux(&self, args: &[&str]) -> String {
        let output = self.try_tmux(args);
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 from tmux")
    }

    fn try_tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"))
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// Runs `program ARGS` with `env` in a new session `name` of `width` x `height`, its
    /// stderr to a file ([`Pane::stderr`]), `RUST_LOG=warn` unless `env` says otherwise.
    pub fn run(
        &self,
        name: &str,
        (width, height): (u16, u16),
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Pane<'_> {
        let stderr = self.dir.path().join(format!("{name}.stderr"));
        let mut script = String::from("export RUST_LOG=warn\n");
        for (key, value) in env {
            script += &format!("export {key}={}\n", quote(value));
        }
        let command: Vec<String> = std::iter::once(program.to_str().expect("UTF-8 path"))
            .chain(args.iter().copied())
            .map(quote)
            .collect();
        script += &format!(
            "before=$(stty -g)\n\
             {} 2>{}\n\
             code=$?\n\
             if [ \"$(stty -g)\" = \"$before\" ]; then echo TTY=same; else echo TTY=changed; fi\n\
             echo EXIT=$code\n\
             read -r _\n",
            command.join(" "),
            quote(stderr.to_str().expect("UTF-8 path")),
        );
        let script_path = self.dir.path().join(format!("{name}.sh"));
        std::fs::write(&script_path, script).expect("write the pane's script");
        let shell = format!("sh {}", quote(script_path.to_str().expect("UTF-8 path")));
        let (width, height) = (width.to_string(), height.to_string());
        self.tmux(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &width,
            "-y",
            &height,
            &shell,
        ]);
        // `=NAME:`: exactly session NAME (a bare name may match a window of another).
        let target = format!("={name}:");
        let pids = self.tmux(&["display-message", "-p", "-t", &target, "#{pid} #{pane_pid}"]);
        let mut pids = pids
            .split_whitespace()
            .map(|pid| pid.parse().expect("a pid"));
        let (server, shell) = (pids.next().expect("pid"), pids.next().expect("pane_pid"));
        *self
            .server_pid
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(server);
        self.remember(shell);
        let program = program
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a program name")
            .to_owned();
        Pane {
            tmux: self,
            name: name.to_owned(),
            target,
            shell,
            program,
            stderr,
        }
    }

    fn remember(&self, pid: u32) {
        self.pids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pid);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let server = *self
            .server_pid
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(server) = server else { return };
        // The programs first, by pid: those that are still ours (children of the server
        // or of a pane's shell; a pid that was reaped and reused belongs to someone else).
        let pids = std::mem::take(&mut *self.pids.lock().unwrap_or_else(PoisonError::into_inner));
        for &pid in &pids {
            if parent_of(pid).is_some_and(|parent| parent == server || pids.contains(&parent)) {
                kill(pid, libc::SIGKILL);
            }
        }
        let _ = self.try_tmux(&["kill-server"]);
        let gone = super::wait_until(Duration::from_secs(5), || !is_running_tmux(server));
        if !gone {
            kill(server, libc::SIGKILL);
        }
    }
}

/// One program's pane.
pub struct Pane<'a> {
    tmux: &'a Tmux,
    name: String,
    /// `-t` for tmux: the session's current pane.
    target: String,
    /// The `sh` that runs the program.
    shell: u32,
    /// The program's file name.
    program: String,
    stderr: PathBuf,
}

/// How a program in a pane ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit code, as the shell saw it.
    pub code: i32,
    /// Whether the terminal modes (`stty -g`) after it were those before it.
    pub tty_same: bool,
    /// Whether tmux still had the pane on the alternate screen.
    pub alternate_screen: bool,
    /// Whether the cursor was still hidden.
    pub cursor_hidden: bool,
    /// The screen (and what scrolled off it) after the shell's last line.
    pub screen: String,
    /// What the program wrote on stderr.
    pub stderr: String,
}

impl Pane<'_> {
    /// The screen now, a line per row (trailing spaces cut).
    pub fn screen(&self) -> String {
        self.tmux.tmux(&["capture-pane", "-p", "-t", &self.target])
    }

    /// The screen with the lines scrolled off its top (the normal screen's history: the
    /// line tmux adds when a pane dies pushes the first one off).
    fn screen_and_history(&self) -> String {
        self.tmux
            .tmux(&["capture-pane", "-p", "-S", "-", "-t", &self.target])
    }

    /// The screen once `predicate` holds for it, captured again and again until then;
    /// fails the test, showing `what` and the last screen, past `deadline` from now.
    pub fn wait_for_screen(
        &self,
        what: &str,
        deadline: Duration,
        mut predicate: impl FnMut(&str) -> bool,
    ) -> String {
        let end = Instant::now() + deadline;
        loop {
            let screen = self.screen();
            if predicate(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < end,
                "{}: no {what} within {deadline:?}; the screen:\n{screen}",
                self.name
            );
            std::thread::sleep(POLL);
        }
    }

    /// [`Pane::wait_for_screen`] until the screen shows `text`, within [`SCREEN_LIMIT`].
    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_for_screen(&format!("{text:?}"), SCREEN_LIMIT, |screen| {
            screen.contains(text)
        })
    }

    /// Types `text` as it is (no key names).
    pub fn type_text(&self, text: &str) {
        self.tmux
            .tmux(&["send-keys", "-t", &self.target, "-l", "--", text]);
    }

    /// Presses keys by tmux's names: `Enter`, `Escape`, `C-c`, ...
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend_from_slice(keys);
        self.tmux.tmux(&args);
    }

    /// Types `line`, then Enter.
    pub fn type_line(&self, line: &str) {
        self.type_text(line);
        self.press(&["Enter"]);
    }

    /// Makes the window `width` x `height`, as a person dragging its corner.
    pub fn resize(&self, width: u16, height: u16) {
        let (width, height) = (width.to_string(), height.to_string());
        self.tmux.tmux(&[
            "resize-window",
            "-t",
            &self.target,
            "-x",
            &width,
            "-y",
            &height,
        ]);
    }

    /// The program's pid (a child of the pane's shell), once it runs.
    pub fn program_pid(&self) -> u32 {
        // /proc/PID/comm holds the first 15 bytes of the name.
        let comm: String = self.program.chars().take(15).collect();
        let mut found = None;
        let running = super::wait_until(SCREEN_LIMIT, || {
            found = children_of(self.shell).into_iter().find(|&pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|name| name.trim_end() == comm)
            });
            found.is_some()
        });
        assert!(running, "{}: {} never started", self.name, self.program);
        let pid = found.expect("found");
        self.tmux.remember(pid);
        pid
    }

    /// Waits (within [`SCREEN_LIMIT`]) for the program to end (its shell prints `EXIT=`),
    /// and says how it went.
    pub fn finish(&self) -> Finished {
        // Anywhere on a line: a terminal left in raw mode does not return the carriage.
        self.wait_for_screen("EXIT=<code>", SCREEN_LIMIT, |screen| {
            screen.contains("EXIT=")
        });
        let screen = self.screen_and_history();
        let code = screen
            .split("EXIT=")
            .nth(1)
            .map(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap_or("")
            })
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("{}: no exit code on the screen:\n{screen}", self.name));
        let tty_same = screen.lines().any(|line| line == "TTY=same");
        let flags = self.tmux.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.target,
            "#{alternate_on} #{cursor_flag}",
        ]);
        let flags: Vec<&str> = flags.split_whitespace().collect();
        let stderr = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        Finished {
            code,
            tty_same,
            alternate_screen: flags.first() == Some(&"1"),
            cursor_hidden: flags.get(1) == Some(&"0"),
            screen,
            stderr,
        }
    }
}

impl Finished {
    /// Fails the test unless the terminal is as it was before the program: the same
    /// modes, off the alternate screen (none of the program's screen left on it), the
    /// cursor shown.
    pub fn assert_terminal_restored(&self, drawn: &str) {
        assert!(!self.alternate_screen, "still on the alternate screen");
        assert!(self.tty_same, "terminal modes changed:\n{}", self.screen);
        assert!(!self.cursor_hidden, "the cursor is still hidden");
        assert!(
            !self.screen.contains(drawn),
            "the program's screen is still there:\n{}",
            self.screen
        );
    }
}

/// Quotes `text` for `sh`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The parent of `pid`, from `/proc/PID/stat`; `None` once it has gone.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| parent_of(child) == Some(pid))
        .collect()
}

/// Whether `pid` is still a running tmux process (the server, not a zombie waiting for
/// its parent, nor a reused pid).
fn is_running_tmux(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rfind(')')
        .and_then(|end| stat[end + 1..].split_whitespace().next());
    stat.contains("(tmux") && !matches!(state, Some("Z" | "X"))
}

/// Sends `signal` to `pid`.
pub fn kill(pid: u32, signal: i32) {
    let pid = libc::pid_t::try_from(pid).expect("pid");
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(pid, signal) };
}
