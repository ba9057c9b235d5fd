//! `FileServer` (Python's `SimpleHTTPRequestHandler`, fixed) over real sockets: byte
//! ranges in every form, conditional requests, listings whose names need escaping (and
//! are not UTF-8), every spelling of a path out of the directory, the `//host` redirect,
//! the access log's escaping, a 1 GiB sparse file streamed with flat memory, a client
//! that leaves mid-file, and the other modes (pool, iterative, TLS, PROXY protocol).
#![cfg(feature = "http")]

mod support;

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use socketserver::event::EventLoopTcpServer;
use socketserver::http::{FileServer, HttpEvents, PoolHttpServer, ThreadingHttpServer};
use socketserver::Serve;
use support::http::{exchange, Client, Response};
use support::http_app::Mode;
use support::Serving;

const SECRET: &str = "TOP SECRET: outside the served directory";

/// A served tree inside a temporary directory, with a secret file beside it.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(root.join("with_index")).unwrap();
        fs::create_dir_all(root.join("example.com")).unwrap();
        fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
        fs::write(root.join("digits.txt"), "0123456789").unwrap();
        fs::write(root.join("page.html"), "<p>page</p>").unwrap();
        fs::write(root.join("data.json"), "{}").unwrap();
        fs::write(root.join("with_index/index.html"), "<p>index</p>").unwrap();
        fs::write(root.join("sub/inner.txt"), "inner").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link_out")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("dir_out")).unwrap();
        std::os::unix::fs::symlink(root.join("digits.txt"), root.join("link_in")).unwrap();
        Site { dir }
    }

    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("root")
    }

    /// Serves the site in `mode`; the closure counts the server's open connections.
    fn serve(&self, mode: Mode) -> (SocketAddr, OpenConnections, Serving) {
        let files = FileServer::new(self.root()).expect("FileServer");
        match mode {
            Mode::Threading => {
                let server = ThreadingHttpServer::bind("127.0.0.1:0", move || files.clone());
                start(server.unwrap())
            }
            Mode::EventLoop => {
                let server = EventLoopTcpServer::builder()
                    .disable_nagle_algorithm(true)
                    .bind("127.0.0.1:0", move || HttpEvents::new(files.clone()));
                start(server.unwrap())
            }
        }
    }
}

type OpenConnections = Box<dyn Fn() -> usize + Send + Sync>;

fn start<S>(server: S) -> (SocketAddr, OpenConnections, Serving)
where
    S: Serve<Addr = SocketAddr> + OpenCount + 'static,
{
    let addr = server.local_addr().unwrap();
    let server = Arc::new(server);
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };
    (addr, Box::new(move || server.count()), serving)
}

/// `open_connections`, which each server type has.
trait OpenCount {
    fn count(&self) -> usize;
}

impl OpenCount for ThreadingHttpServer<FileServer> {
    fn count(&self) -> usize {
        self.open_connections()
    }
}

impl<H: socketserver::event::EventHandler> OpenCount for EventLoopTcpServer<H> {
    fn count(&self) -> usize {
        self.open_connections()
    }
}

fn get(addr: SocketAddr, path: &str, headers: &str) -> Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    exchange(addr, raw.as_bytes())
}

fn files_get_their_type_length_and_last_modified(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    let txt = get(addr, "/digits.txt", "");
    assert_eq!(txt.status, 200);
    assert_eq!(txt.text(), "0123456789");
    assert_eq!(txt.header("Content-Type"), Some("text/plain"));
    assert_eq!(txt.header("Content-Length"), Some("10"));
    assert_eq!(txt.header("Accept-Ranges"), Some("bytes"));
    assert!(httpdate::parse_http_date(txt.header("Last-Modified").unwrap()).is_ok());
    assert_eq!(
        get(addr, "/page.html", "").header("Content-Type"),
        Some("text/html")
    );
    assert_eq!(
        get(addr, "/data.json", "").header("Content-Type"),
        Some("application/json")
    );
    assert_eq!(get(addr, "/with_index/", "").text(), "<p>index</p>");
    assert_eq!(get(addr, "/link_in", "").text(), "0123456789");
    // HEAD: the same headers, no body (read_response would hang on a body it expects).
    let mut client = Client::connect(addr);
    client.send(b"HEAD /digits.txt HTTP/1.1\r\n\r\n");
    let head = client.head_response();
    assert_eq!(head.header("Content-Length"), Some("10"));
    assert_eq!(
        client.request(b"GET /digits.txt HTTP/1.1\r\n\r\n").text(),
        "0123456789"
    );
    let post = exchange(
        addr,
        b"POST /digits.txt HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(post.status, 501);
    serving.stop().unwrap();
}

fn ranges_in_all_three_forms(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    for (range, body, content_range) in [
        ("bytes=2-5", "2345", "bytes 2-5/10"),
        ("bytes=7-", "789", "bytes 7-9/10"),
        ("bytes=-3", "789", "bytes 7-9/10"),
        ("bytes=8-100", "89", "bytes 8-9/10"),
        ("bytes=-100", "0123456789", "bytes 0-9/10"),
        ("bytes=0-0", "0", "bytes 0-0/10"),
        ("BYTES=9-9", "9", "bytes 9-9/10"),
    ] {
        let response = get(addr, "/digits.txt", &format!("Range: {range}\r\n"));
        assert_eq!(response.status, 206, "{range}");
        assert_eq!(response.text(), body, "{range}");
        assert_eq!(response.header("Content-Range"), Some(content_range));
        assert_eq!(
            response.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
    }
    serving.stop().unwrap();
}

fn a_range_past_the_end_is_416_and_keeps_the_connection(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    let mut client = Client::connect(addr);
    for range in ["bytes=10-", "bytes=10-20", "bytes=99-", "bytes=-0"] {
        let raw = format!("GET /digits.txt HTTP/1.1\r\nRange: {range}\r\n\r\n");
        let response = client.request(raw.as_bytes());
        assert_eq!(response.status, 416, "{range}");
        assert_eq!(response.header("Content-Range"), Some("bytes */10"));
    }
    assert_eq!(
        client.request(b"GET /digits.txt HTTP/1.1\r\n\r\n").status,
        200
    );
    serving.stop().unwrap();
}

fn malformed_ranges_are_ignored(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    for range in [
        "bytes=5-2",
        "bytes=a-b",
        "bytes=-",
        "bytes=1-2,4-5",
        "items=1-2",
        "bytes 1-2",
        "bytes=+1-2",
        "bytes=1 - 2",
        "bytes=99999999999999999999999-",
        "",
    ] {
        let response = get(addr, "/digits.txt", &format!("Range: {range}\r\n"));
        assert_eq!(response.status, 200, "{range:?}");
        assert_eq!(response.text(), "0123456789");
        assert_eq!(response.header("Content-Range"), None);
    }
    // If-Range that names another copy: the whole file.
    let other = get(
        addr,
        "/digits.txt",
        "Range: bytes=1-2\r\nIf-Range: Mon, 01 Jan 2001 00:00:00 GMT\r\n",
    );
    assert_eq!(other.status, 200);
    serving.stop().unwrap();
}

fn if_modified_since_at_or_after_the_file_is_304(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    let first = get(addr, "/digits.txt", "");
    let last_modified = first.header("Last-Modified").unwrap().to_owned();
    let same = get(
        addr,
        "/digits.txt",
        &format!("If-Modified-Since: {last_modified}\r\n"),
    );
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    assert_eq!(
        get(
            addr,
            "/digits.txt",
            &format!("If-Modified-Since: {later}\r\n")
        )
        .status,
        304
    );
    let earlier = "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n";
    assert_eq!(get(addr, "/digits.txt", earlier).status, 200);
    let invalid = "If-Modified-Since: yesterday\r\n";
    assert_eq!(get(addr, "/digits.txt", invalid).status, 200);
    // With If-None-Match, If-Modified-Since is ignored (RFC 9110 §13.2.2).
    let tagged = format!("If-None-Match: \"x\"\r\nIf-Modified-Since: {later}\r\n");
    assert_eq!(get(addr, "/digits.txt", &tagged).status, 200);
    serving.stop().unwrap();
}

fn listings_escape_names_and_encode_links(mode: Mode) {
    let site = Site::new();
    let list = site.root().join("sub");
    for name in ["a&b<c>.txt", "space name.txt", "100%.txt", "quote\"'.txt"] {
        fs::write(list.join(name), name).unwrap();
    }
    fs::create_dir(list.join("Zdir")).unwrap();
    let latin1 = OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(list.join(latin1), "latin-1 name").unwrap();
    let (addr, _server, serving) = site.serve(mode);
    let page = get(addr, "/sub/", "");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    let text = page.text();
    for item in [
        r#"<li><a href="a%26b%3Cc%3E.txt">a&amp;b&lt;c&gt;.txt</a></li>"#,
        r#"<li><a href="space%20name.txt">space name.txt</a></li>"#,
        r#"<li><a href="100%25.txt">100%.txt</a></li>"#,
        // Text is escaped as Python's html.escape(quote=False): quotes need no escape there.
        r#"<li><a href="quote%22%27.txt">quote"'.txt</a></li>"#,
        r#"<li><a href="Zdir/">Zdir/</a></li>"#,
        r#"<a href="caf%E9.txt">"#,
    ] {
        assert!(text.contains(item), "{item} not in\n{text}");
    }
    // Sorted by name without regard to case, as Python sorts.
    let order: Vec<usize> = [
        "100%",
        "a&amp;b",
        "caf",
        "inner.txt",
        "quote",
        "space",
        "Zdir",
    ]
    .iter()
    .map(|name| text.find(&format!(">{name}")).expect(name))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    // Every link leads to its file.
    assert_eq!(get(addr, "/sub/a%26b%3Cc%3E.txt", "").text(), "a&b<c>.txt");
    assert_eq!(get(addr, "/sub/caf%E9.txt", "").text(), "latin-1 name");
    assert_eq!(get(addr, "/sub/100%25.txt", "").text(), "100%.txt");
    serving.stop().unwrap();
}

fn a_directory_without_its_slash_is_301_with_the_query_kept(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    let response = get(addr, "/sub?x=1&y=2", "");
    assert_eq!(response.status, 301);
    assert_eq!(response.header("Location"), Some("/sub/?x=1&y=2"));
    assert_eq!(get(addr, "/sub", "").header("Location"), Some("/sub/"));
    serving.stop().unwrap();
}

fn no_open_redirect_for_double_slash_paths(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    for path in [
        "//example.com",
        "///example.com",
        "//example.com?q=1",
        "/\\example.com",
    ] {
        let response = get(addr, path, "");
        if let Some(location) = response.header("Location") {
            assert!(location.starts_with('/'), "{path}: {location}");
            assert!(!location.starts_with("//"), "{path}: {location}");
            assert!(!location.starts_with("/\\"), "{path}: {location}");
            assert!(location.starts_with("/example.com/"), "{path}: {location}");
        } else {
            assert!(
                [400, 404].contains(&response.status),
                "{path}: {response:?}"
            );
        }
    }
    serving.stop().unwrap();
}

fn no_spelling_of_a_path_leaves_the_directory(mode: Mode) {
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    for path in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/%2e%2e%5csecret.txt",
        "/..\\secret.txt",
        "/sub\\..\\..\\secret.txt",
        "/%00/../secret.txt",
        "/digits.txt%00.html",
        "/%252e%252e/secret.txt",
        "http://x/../secret.txt",
        "/link_out",
        "/dir_out/secret.txt",
        "/dir_out/",
    ] {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let response = exchange(addr, raw.as_bytes());
        assert!(
            [400, 403, 404].contains(&response.status),
            "{path}: {response:?}"
        );
        assert!(!response.text().contains("TOP SECRET"), "{path}");
    }
    // Absolute file system paths are request paths inside the directory.
    let absolute = site.dir.path().join("secret.txt");
    let response = get(addr, &format!("/{}", absolute.display()), "");
    assert_eq!(response.status, 404);
    // A NUL byte sent raw never reaches the file system either.
    let raw = exchange(
        addr,
        b"GET /digits.txt\0 HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(raw.status, 400);
    serving.stop().unwrap();
}

/// The access log lines, captured.
fn captured() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        captured().lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

fn control_characters_in_requests_are_escaped_in_the_log(mode: Mode) {
    static CAPTURE: Capture = Capture;
    let _ = log::set_logger(&CAPTURE);
    log::set_max_level(log::LevelFilter::Info);
    let site = Site::new();
    let (addr, _server, serving) = site.serve(mode);
    // A percent-decoded escape would be harmless; these are raw bytes in the target.
    let forged = b"GET /a\x1b[31m\rFORGED 200 OK HTTP/1.1\r\nConnection: close\r\n\r\n";
    let mut client = Client::connect(addr);
    client.send(forged);
    let mut rest = Vec::new();
    let _ = client.reader.read_to_end(&mut rest);
    assert_eq!(get(addr, "/digits.txt?marker", "").status, 200);
    assert!(support::wait_until(Duration::from_secs(10), || captured()
        .lock()
        .unwrap()
        .iter()
        .any(|line| line.contains("/digits.txt?marker"))));
    let lines = captured().lock().unwrap().clone();
    for line in &lines {
        assert!(
            !line.chars().any(|c| c.is_control()),
            "control character in {line:?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("\\x1b[31m")),
        "no escaped line in {lines:?}"
    );
    serving.stop().unwrap();
}

/// The process's anonymous resident memory (heap and stacks, not mapped files such as
/// the debug info a panicking test's backtrace loads), from /proc/self/status.
fn resident_bytes() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn sparse_gib(root: &Path) {
    let file = fs::File::create(root.join("sparse.bin")).unwrap();
    file.set_len(1 << 30).unwrap();
    (&file).write_all(b"start").unwrap();
}

fn a_1_gib_sparse_file_streams_with_flat_memory(mode: Mode) {
    let site = Site::new();
    sparse_gib(&site.root());
    let (addr, _server, serving) = site.serve(mode);
    let before = resident_bytes();
    let mut client = Client::connect(addr);
    client.send(b"GET /sparse.bin HTTP/1.1\r\nConnection: close\r\n\r\n");
    let head = support::http::read_head(&mut client.reader).unwrap();
    assert_eq!(head.header("Content-Length"), Some("1073741824"));
    let mut buf = vec![0; 1 << 16];
    let mut total = 0u64;
    let mut peak = before;
    let mut first = Vec::new();
    loop {
        let n = client.reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        if first.len() < 5 {
            first.extend_from_slice(&buf[..n.min(5 - first.len())]);
        }
        total += n as u64;
        if total % (64 << 20) < n as u64 {
            peak = peak.max(resident_bytes());
        }
    }
    assert_eq!(total, 1 << 30);
    assert_eq!(first, b"start");
    // Client and server share this process: both together stay far below the file.
    let growth = peak.saturating_sub(before);
    assert!(growth < 64 << 20, "resident memory grew by {growth} bytes");
    serving.stop().unwrap();
}

fn a_client_that_leaves_mid_file_costs_nothing_else(mode: Mode) {
    let site = Site::new();
    sparse_gib(&site.root());
    let (addr, open_connections, serving) = site.serve(mode);
    for _ in 0..3 {
        let mut client = Client::connect(addr);
        client.send(b"GET /sparse.bin HTTP/1.1\r\n\r\n");
        let mut buf = vec![0; 1 << 20];
        client.reader.read_exact(&mut buf).unwrap();
        // Gone after 1 MiB of the GiB.
    }
    // The server notices (a reset or broken pipe) and ends those connections.
    assert!(support::wait_until(
        Duration::from_secs(20),
        || open_connections() == 0
    ));
    assert_eq!(get(addr, "/digits.txt", "").text(), "0123456789");
    serving.stop().unwrap();
}

#[test]
fn a_pool_server_and_an_iterative_one_serve_files_too() {
    let site = Site::new();
    let files = FileServer::new(site.root()).unwrap();
    let pool = PoolHttpServer::builder()
        .max_workers(2)
        .bind("127.0.0.1:0", {
            let files = files.clone();
            move || files.clone()
        })
        .unwrap();
    let addr = pool.local_addr().unwrap();
    let handle = pool.shutdown_handle();
    let serving = Serving::start(handle, move || pool.serve_forever());
    let big = site.root().join("big.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(&big, &data).unwrap();
    assert_eq!(get(addr, "/big.bin", "").body, data);
    assert_eq!(
        get(addr, "/big.bin", "Range: bytes=1000000-1999999\r\n").body,
        data[1_000_000..2_000_000]
    );
    serving.stop().unwrap();

    let iterative =
        socketserver::http::HttpServer::bind("127.0.0.1:0", move || files.clone()).unwrap();
    let addr = iterative.local_addr().unwrap();
    let serving = Serving::start(iterative.shutdown_handle(), move || {
        iterative.serve_forever()
    });
    assert_eq!(get(addr, "/big.bin", "").body, data);
    serving.stop().unwrap();
}

in_every_mode!(
    files_get_their_type_length_and_last_modified,
    ranges_in_all_three_forms,
    a_range_past_the_end_is_416_and_keeps_the_connection,
    malformed_ranges_are_ignored,
    if_modified_since_at_or_after_the_file_is_304,
    listings_escape_names_and_encode_links,
    a_directory_without_its_slash_is_301_with_the_query_kept,
    no_open_redirect_for_double_slash_paths,
    no_spelling_of_a_path_leaves_the_directory,
    control_characters_in_requests_are_escaped_in_the_log,
    a_1_gib_sparse_file_streams_with_flat_memory,
    a_client_that_leaves_mid_file_costs_nothing_else,
);
