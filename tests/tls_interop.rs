//! TLS as a user would try it, with the programs users have and the crate's examples:
//! `openssl s_client` with TLS 1.2 and then 1.3 forced against `echo_server --tls-cert
//! --tls-key` (the echo comes back byte for byte, a 400 KB line included), `curl
//! --cacert` against `mjpeg_server` over HTTPS (the page, and stream parts that are whole
//! JPEGs), Python's `ssl` module, and headless Chromium showing the MJPEG stream over
//! HTTPS. The certificates are made by the test (rcgen): a CA and a server certificate
//! for `localhost` and 127.0.0.1; every client verifies them against that CA, except
//! Chromium, which is told to ignore certificate errors (it has no per-run CA flag).
#![cfg(feature = "tls")]

mod support;

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use support::example::{wait_exit, ExampleServer};
use support::programs::{argv, python, require};
use support::tls::{certs, Certs};

/// How long one run of a client program may take.
const PROGRAM_LIMIT: Duration = Duration::from_secs(30);

/// The TLS flags for `certs`.
fn tls_args(certs: &Certs) -> Vec<String> {
    vec![
        "--tls-cert".into(),
        certs.cert.display().to_string(),
        "--tls-key".into(),
        certs.key.display().to_string(),
    ]
}

/// Starts example `name` serving TLS with `certs`, plus `extra` flags.
fn start_tls(name: &str, certs: &Certs, extra: &[&str]) -> ExampleServer {
    let mut args = tls_args(certs);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ExampleServer::start(name, &args)
}

/// Runs `command` with `input` on stdin (then closed); returns its status, stdout and
/// stderr. Killed, and the test failed, past [`PROGRAM_LIMIT`].
fn run(mut command: Command, input: &[u8]) -> (ExitStatus, Vec<u8>, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the program");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = from.read_to_end(&mut out);
            out
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = wait_exit(&mut child, PROGRAM_LIMIT);
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
    (status, stdout.join().unwrap(), stderr)
}

/// Lines of every kind: text, bytes that are not UTF-8 (and letters that are s_client
/// commands at the start of a line in its interactive mode), and one long line.
fn echo_input() -> Vec<u8> {
    let mut input = b"hello world\n\x01\x02\xff\xfe not UTF-8\nQ\nR\nk\n".to_vec();
    input.extend((0..400_000u32).map(|i| b'a' + (i * 7 % 26) as u8));
    input.push(b'\n');
    input
}

/// `openssl s_client` with `version` (`-tls1_2` or `-tls1_3`) forced, verifying the
/// server against the CA: the echo is the input byte for byte, and the protocol is the
/// one forced.
fn s_client_echoes(version: &str, expected_protocol: &str) {
    if !require("openssl") {
        return;
    }
    let certs = certs();
    let server = start_tls("echo_server", &certs, &[]);
    let mut command = Command::new("openssl");
    command
        .args(["s_client", "-connect", &server.addr.to_string(), version])
        .args(["-servername", "localhost", "-verify_return_error"])
        .arg("-CAfile")
        .arg(&certs.ca)
        // -brief: the connection's summary on stderr, only the data on stdout; -ign_eof:
        // wait for the server to close (after `quit`) rather than quit at the end of stdin.
        .args(["-brief", "-ign_eof"]);
    let input = echo_input();
    let (status, out, err) = run(command, &[&input[..], b"quit\n"].concat());
    assert!(status.success(), "s_client {version} failed: {err}");
    assert!(err.contains("Verification: OK"), "{err}");
    assert!(
        err.contains(&format!("Protocol version: {expected_protocol}")),
        "{err}"
    );
    assert_eq!(out.len(), input.len(), "echo length with {version}");
    assert!(
        out == input,
        "the echo differs from the input with {version}"
    );
}

#[test]
fn openssl_s_client_tls12_gets_its_lines_back() {
    s_client_echoes("-tls1_2", "TLSv1.2");
}

#[test]
fn openssl_s_client_tls13_gets_its_lines_back() {
    s_client_echoes("-tls1_3", "TLSv1.3");
}

/// Python's `ssl` module as a lecture's client would use it: a default context trusting
/// the CA (so the host name is checked too), `wrap_socket`, `sendall` and `recv`.
const PYTHON_ECHO: &str = r#"
import socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=cafile)
with socket.create_connection((host, port), timeout=10) as raw:
    with context.wrap_socket(raw, server_hostname="localhost") as s:
        print(s.version())
        data = b"".join(b"line %d\n" % i for i in range(100))
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        print("echoed" if got == data else "differs: %r" % got[:200])
        s.sendall(b"quit\n")
        print("closed" if s.recv(1) == b"" else "still open")
"#;

#[test]
fn python_ssl_client_gets_its_lines_back() {
    let certs = certs();
    let server = start_tls("echo_server", &certs, &[]);
    let mut args = argv(server.addr);
    args.push(certs.ca.display().to_string());
    let Some(out) = python(PYTHON_ECHO, &args) else {
        return;
    };
    assert_eq!(out, "TLSv1.3\nechoed\nclosed\n");
}

/// The MJPEG example (feature `http`) over HTTPS.
#[cfg(feature = "http")]
mod mjpeg_over_https {
    use std::io::BufReader;
    use std::process::{Command, Stdio};

    use super::{require, start_tls, support};
    use crate::support::browser::{decode_png, differing_pixels, screenshot};
    use crate::support::tls::{certs, Certs};

    /// Runs curl with `args` and the CA; its stdout.
    fn curl(certs: &Certs, args: &[&str]) -> String {
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "30", "--cacert"])
            .arg(&certs.ca)
            .args(args)
            .output()
            .expect("run curl");
        assert!(output.status.success(), "curl {args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8 from curl")
    }

    #[test]
    fn curl_gets_the_mjpeg_page_and_frames_over_https() {
        if !require("curl") {
            return;
        }
        let certs = certs();
        let server = start_tls(
            "mjpeg_server",
            &certs,
            &["--width", "160", "--height", "120", "--fps", "20"],
        );
        // The certificate names localhost: curl is told where localhost is for this port, so
        // it checks the name a user would type.
        let port = server.addr.port();
        let resolve = format!("localhost:{port}:127.0.0.1");
        let base = format!("https://localhost:{port}");

        let page = curl(
            &certs,
            &["--resolve", &resolve, "--location", &format!("{base}/")],
        );
        assert!(page.contains("<img src=\"stream.mjpg\""), "{page}");

        let mut stream = Command::new("curl")
            .args(["--silent", "--no-buffer", "--include", "--max-time", "60"])
            .arg("--cacert")
            .arg(&certs.ca)
            .args(["--resolve", &resolve])
            .arg(format!("{base}/stream.mjpg"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("run curl");
        let mut reader = BufReader::new(stream.stdout.take().unwrap());
        let head = support::http::read_head(&mut reader).unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("Content-Type"),
            Some("multipart/x-mixed-replace; boundary=FRAME")
        );
        let frames: Vec<Vec<u8>> = (0..3)
            .map(|_| {
                let part = support::mjpeg::read_part(&mut reader, "FRAME").expect("a part");
                assert_eq!(part.content_type, "image/jpeg");
                part.body
            })
            .collect();
        let _ = stream.kill();
        let _ = stream.wait();
        for frame in &frames {
            assert!(
                support::mjpeg::is_complete_jpeg(frame),
                "a part is not a whole JPEG"
            );
        }
        assert!(
            frames.windows(2).all(|w| w[0] != w[1]),
            "the stream repeats a frame"
        );
    }

    const WIDTH: usize = 320;
    const HEIGHT: usize = 240;
    /// The test CA is not in the browser's store.
    const IGNORE_CERTS: &[&str] = &["--ignore-certificate-errors"];

    #[test]
    fn chromium_shows_the_mjpeg_stream_over_https() {
        let chromium = support::programs::find_program("chromium")
            .or_else(|| support::programs::find_program("chromium-browser"));
        let Some(chromium) = chromium else {
            support::skip("chromium not found (run .ci/install-tools.sh)");
            return;
        };
        let certs = certs();
        let server = start_tls(
            "mjpeg_server",
            &certs,
            &["--width", "320", "--height", "240", "--fps", "10"],
        );
        let url = format!("https://{}/", server.addr);
        let dir = tempfile::tempdir().unwrap();

        let first = decode_png(&screenshot(
            &chromium,
            &url,
            dir.path(),
            "first",
            IGNORE_CERTS,
        ));
        let second = decode_png(&screenshot(
            &chromium,
            &url,
            dir.path(),
            "second",
            IGNORE_CERTS,
        ));

        // The page's background (#222) is around the picture; the picture is not.
        let background = [0x22, 0x22, 0x22];
        assert_eq!(first.0[first.1 * (HEIGHT + 20) + WIDTH + 20], background);
        let picture = (0..HEIGHT)
            .flat_map(|y| first.0[y * first.1..][..WIDTH].iter())
            .filter(|&&p| p != background)
            .count();
        assert!(
            picture > WIDTH * HEIGHT * 9 / 10,
            "no picture where the <img> should be"
        );
        let differ = differing_pixels(&first, &second, WIDTH, HEIGHT);
        assert!(
            differ > WIDTH * HEIGHT / 100,
            "the two screenshots are the same picture ({differ} pixels differ)"
        );
    }
}
