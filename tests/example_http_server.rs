//! The `http_server` example (`python -m http.server`) driven as a user would: `curl`
//! (files, ranges, HEAD, 304, the redirect, traversal), `wget -r` mirroring the tree,
//! Python's `urllib`, headless Chromium showing a page with its CSS and image, TLS and
//! the PROXY protocol through `curl`, the flags (`[PORT]`, `-b`, `-d`), and Python's
//! access log format on stderr with control characters escaped.
#![cfg(feature = "http")]

mod support;

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::example::{example_path, exit_within};
use support::programs::{find_program, require};

/// A running `http_server` whose stderr goes to a file the test reads.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// How the example serves: a thread per connection (the default), or `--event-loop`.
/// Each test below runs in both.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Threading,
    EventLoop,
}

impl Server {
    fn start(mode: Mode, dir: &Path, log_dir: &Path, args: &[&str]) -> Server {
        let log = log_dir.join(format!("stderr-{}.log", args.len()));
        let mut child = Command::new(example_path("http_server"))
            .arg("-d")
            .arg(dir)
            .args(args)
            .args(match mode {
                Mode::Threading => &[][..],
                Mode::EventLoop => &["--event-loop"][..],
            })
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("start http_server");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = tx.send(stdout.read_line(&mut line).map(|_| line));
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no listening line: {other:?}");
            }
        };
        let addr = line
            .strip_prefix("listening on ")
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("first line {line:?}"));
        Server { child, addr, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and the exit within 3 s that every example server owes.
    fn stop(mut self) {
        // SAFETY: kill has no memory effects; the pid is our own unreaped child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let status = exit_within(&mut self.child, Duration::from_secs(5));
        assert!(status.is_some_and(|s| s.success()), "{status:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A small static site: a page with a stylesheet and an image, a subdirectory.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("index.html"),
        "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"style.css\"></head>\
         <body><img src=\"img/red.png\" width=\"100\" height=\"100\">\
         <a href=\"docs/\">docs</a></body></html>",
    )
    .unwrap();
    fs::write(
        root.join("style.css"),
        "html, body { margin: 0; background: rgb(0, 0, 255); } img { display: block; }",
    )
    .unwrap();
    fs::create_dir_all(root.join("img")).unwrap();
    write_png(&root.join("img/red.png"), 100, 100, [255, 0, 0]);
    fs::create_dir_all(root.join("docs/deeper")).unwrap();
    fs::write(root.join("docs/readme.txt"), "read me\n").unwrap();
    fs::write(root.join("docs/deeper/notes.txt"), "notes\n").unwrap();
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
    fs::write(root.join("docs/data.bin"), data).unwrap();
    dir
}

fn write_png(path: &Path, width: u32, height: u32, rgb: [u8; 3]) {
    let file = File::create(path).unwrap();
    let mut encoder = png::Encoder::new(file, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height).flat_map(|_| rgb).collect();
    writer.write_image_data(&pixels).unwrap();
}

fn run(program: &str, args: &[&str]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{program}: {err}"));
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = exit_within(&mut child, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("{program} {args:?} did not finish"));
    Output {
        status,
        stdout: out.join().unwrap().into_bytes(),
        stderr: err.join().unwrap().into_bytes(),
    }
}

fn curl(args: &[&str]) -> String {
    let mut all = vec!["-sS", "--max-time", "30"];
    all.extend_from_slice(args);
    let output = run("curl", &all);
    assert!(output.status.success(), "curl {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn curl_gets_files_ranges_and_redirects(mode: Mode) {
    if !require("curl") {
        return;
    }
    let site = site();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(mode, site.path(), logs.path(), &["-p", "0"]);
    assert_eq!(curl(&[&server.url("/docs/readme.txt")]), "read me\n");
    assert_eq!(
        curl(&["-r", "0-3", &server.url("/docs/readme.txt")]),
        "read"
    );
    assert_eq!(curl(&["-r", "-3", &server.url("/docs/readme.txt")]), "me\n");
    let head = curl(&["-I", &server.url("/style.css")]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/css\r\n"), "{head}");
    let code = |args: &[&str]| {
        let mut all = vec!["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"];
        all.extend_from_slice(args);
        curl(&all)
    };
    assert_eq!(
        code(&[&server.url("/docs?a=1")]),
        format!("301 {}", server.url("/docs/?a=1"))
    );
    assert_eq!(
        code(&["-r", "99999999-", &server.url("/docs/readme.txt")]),
        "416 "
    );
    assert_eq!(
        code(&["--path-as-is", &server.url("/../etc/passwd")]),
        "400 "
    );
    assert_eq!(code(&[&server.url("/missing")]), "404 ");
    let date = "Thu, 01 Jan 2037 00:00:00 GMT";
    assert_eq!(
        code(&[
            "-H",
            &format!("If-Modified-Since: {date}"),
            &server.url("/index.html")
        ]),
        "304 "
    );
    // A 2 MB file in pieces reassembles to the file (curl --continue-at resumes).
    let out = logs.path().join("data.bin");
    let out_arg = out.display().to_string();
    curl(&[
        "-r",
        "0-999999",
        "-o",
        &out_arg,
        &server.url("/docs/data.bin"),
    ]);
    curl(&["-C", "-", "-o", &out_arg, &server.url("/docs/data.bin")]);
    assert_eq!(
        fs::read(&out).unwrap(),
        fs::read(site.path().join("docs/data.bin")).unwrap()
    );
    server.stop();
}

fn the_access_log_is_pythons_with_controls_escaped(mode: Mode) {
    if !require("curl") {
        return;
    }
    let site = site();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(mode, site.path(), logs.path(), &["0"]);
    curl(&[&server.url("/docs/readme.txt")]);
    // A request line carrying an escape sequence and a carriage return.
    let mut raw = std::net::TcpStream::connect(server.addr).unwrap();
    std::io::Write::write_all(
        &mut raw,
        b"GET /\x1b[2J\rFAKE HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let _ = std::io::read_to_string(&mut raw);
    curl(&[&server.url("/index.html?last")]);
    assert!(support::wait_until(Duration::from_secs(10), || server
        .log()
        .contains("/index.html?last")));
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains("/docs/readme.txt"))
        .expect("access line");
    // IP - - [DATE] "REQUEST LINE" STATUS SIZE
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    // Python's date: `[02/Dec/2026 14:58:16]`.
    let date = &line["127.0.0.1 - - [".len()..][..21];
    let shape: String = date
        .chars()
        .map(|c| match c {
            '0'..='9' => 'D',
            'A'..='Z' | 'a'..='z' => 'M',
            other => other,
        })
        .collect();
    assert_eq!(shape, "DD/MMM/DDDD DD:DD:DD]", "{line}");
    assert!(
        line.ends_with("] \"GET /docs/readme.txt HTTP/1.1\" 200 8"),
        "{line}"
    );
    assert!(!log.contains('\x1b'), "{log:?}");
    assert!(log.contains("\\x1b[2J\\x0dFAKE"), "{log}");
    server.stop();
}

fn wget_mirrors_the_tree(mode: Mode) {
    if !require("wget") {
        return;
    }
    let site = site();
    let mirror = tempfile::tempdir().unwrap();
    let server = Server::start(
        mode,
        site.path(),
        mirror.path(),
        &["--port", "0", "-b", "127.0.0.1"],
    );
    let out = run(
        "wget",
        &[
            "-r",
            "-np",
            "-nH",
            "-q",
            "-e",
            "robots=off",
            "-T",
            "20",
            "-P",
            &mirror.path().join("m").display().to_string(),
            &server.url("/"),
        ],
    );
    // wget exits 8 when a link is 404 (robots.txt is not asked with robots=off).
    assert!(out.status.success(), "{out:?}\n{}", server.log());
    let m = mirror.path().join("m");
    for file in [
        "index.html",
        "style.css",
        "img/red.png",
        "docs/readme.txt",
        "docs/deeper/notes.txt",
        "docs/data.bin",
    ] {
        assert_eq!(
            fs::read(m.join(file)).unwrap_or_default(),
            fs::read(site.path().join(file)).unwrap(),
            "{file}"
        );
    }
    server.stop();
}

fn python_urllib_reads_files_and_listings(mode: Mode) {
    if !require("python3") {
        return;
    }
    let site = site();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(mode, site.path(), logs.path(), &["-p", "0"]);
    let script = format!(
        "import urllib.request, urllib.error\n\
         base = 'http://{}'\n\
         print(urllib.request.urlopen(base + '/docs/readme.txt', timeout=20).read().decode(), end='')\n\
         r = urllib.request.urlopen(base + '/docs', timeout=20)\n\
         print(r.geturl(), r.headers['Content-Type'])\n\
         print('deeper/' in r.read().decode())\n\
         req = urllib.request.Request(base + '/docs/readme.txt', headers={{'Range': 'bytes=5-'}})\n\
         r = urllib.request.urlopen(req, timeout=20)\n\
         print(r.status, r.read().decode(), end='')\n\
         try:\n\
         \x20   urllib.request.urlopen(base + '/nothing', timeout=20)\n\
         except urllib.error.HTTPError as e:\n\
         \x20   print(e.code)\n",
        server.addr
    );
    let out = run("python3", &["-c", &script]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "read me\n{} text/html; charset=utf-8\nTrue\n206 me\n404\n",
            server.url("/docs/")
        )
    );
    server.stop();
}

#[cfg(feature = "tls")]
fn tls_serves_the_same_files(mode: Mode) {
    if !require("curl") {
        return;
    }
    let site = site();
    let certs = support::tls::certs();
    let cert = certs.cert.display().to_string();
    let key = certs.key.display().to_string();
    let ca = certs.ca.display().to_string();
    let logs = tempfile::tempdir().unwrap();
    let data = fs::read(site.path().join("docs/data.bin")).unwrap();
    let tls = Server::start(
        mode,
        site.path(),
        logs.path(),
        &["0", "--tls-cert", &cert, "--tls-key", &key],
    );
    let url = format!("https://localhost:{}/docs/data.bin", tls.addr.port());
    let resolve = format!("localhost:{}:127.0.0.1", tls.addr.port());
    let out = logs.path().join("tls.bin");
    let out_arg = out.display().to_string();
    curl(&["--cacert", &ca, "--resolve", &resolve, "-o", &out_arg, &url]);
    assert_eq!(fs::read(&out).unwrap(), data);
    let part = curl(&["--cacert", &ca, "--resolve", &resolve, "-r", "1-3", &url]);
    assert_eq!(part.as_bytes(), &data[1..4]);
    tls.stop();
}

fn the_proxy_protocol_serves_the_same_files_and_logs_the_client(mode: Mode) {
    if !require("curl") {
        return;
    }
    let site = site();
    let logs = tempfile::tempdir().unwrap();
    let data = fs::read(site.path().join("docs/data.bin")).unwrap();
    let proxied = Server::start(
        mode,
        site.path(),
        logs.path(),
        &["--proxy-protocol", "-p", "0"],
    );
    let out = logs.path().join("proxied.bin");
    let out_arg = out.display().to_string();
    curl(&[
        "--haproxy-protocol",
        "-o",
        &out_arg,
        &proxied.url("/docs/data.bin"),
    ]);
    assert_eq!(fs::read(&out).unwrap(), data);
    // A balancer's header names the client: the log line shows it.
    let mut balancer = std::net::TcpStream::connect(proxied.addr).unwrap();
    let header = support::proxy::v1("203.0.113.7:5555".parse().unwrap(), proxied.addr);
    std::io::Write::write_all(&mut balancer, &header).unwrap();
    std::io::Write::write_all(&mut balancer, b"GET /style.css HTTP/1.0\r\n\r\n").unwrap();
    let reply = std::io::read_to_string(&mut balancer).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(support::wait_until(Duration::from_secs(10), || proxied
        .log()
        .contains("203.0.113.7 - - [")));
    proxied.stop();
}

fn chromium_shows_the_page_with_its_css_and_image(mode: Mode) {
    let Some(chromium) = find_program("chromium").or_else(|| find_program("chromium-browser"))
    else {
        support::skip("chromium not found (run .ci/install-tools.sh)");
        return;
    };
    let site = site();
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(mode, site.path(), work.path(), &["-p", "0"]);
    let shot = work.path().join("page.png");
    let chromium_log = work.path().join("chromium.log");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--hide-scrollbars",
            "--window-size=300,200",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(server.url("/"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&chromium_log).unwrap())
        .spawn()
        .expect("start chromium");
    let status = exit_within(&mut child, Duration::from_secs(90));
    assert!(
        status.is_some_and(|s| s.success()) && shot.exists(),
        "chromium failed ({status:?}): {}",
        fs::read_to_string(&chromium_log).unwrap_or_default()
    );
    let decoder = png::Decoder::new(BufReader::new(File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let width = info.width as usize;
    let pixel = |x: usize, y: usize| {
        let i = (y * width + x) * channels;
        [buf[i], buf[i + 1], buf[i + 2]]
    };
    let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(a, b)| a.abs_diff(b) <= 24);
    // The image (from img/red.png) at the top left, the CSS's blue beside it.
    assert!(
        near(pixel(50, 50), [255, 0, 0]),
        "image pixel {:?}",
        pixel(50, 50)
    );
    assert!(
        near(pixel(250, 150), [0, 0, 255]),
        "css pixel {:?}",
        pixel(250, 150)
    );
    let log = server.log();
    for path in ["\"GET / ", "\"GET /style.css ", "\"GET /img/red.png "] {
        assert!(log.contains(path), "{path} not in {log}");
    }
    server.stop();
}

in_every_mode!(
    curl_gets_files_ranges_and_redirects,
    the_access_log_is_pythons_with_controls_escaped,
    wget_mirrors_the_tree,
    python_urllib_reads_files_and_listings,
    #[cfg(feature = "tls")]
    tls_serves_the_same_files,
    the_proxy_protocol_serves_the_same_files_and_logs_the_client,
    chromium_shows_the_page_with_its_css_and_image,
);
