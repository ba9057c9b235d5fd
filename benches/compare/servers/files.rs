//! The static-file scenario's servers: this crate's `FileServer`, and Debian's nginx
//! (one process, `sendfile on`) with a configuration of its own on loopback. Both serve
//! [`dir`], which holds a 1 KiB and a 1 MiB file, and write an access log there, as
//! Python's `http.server` (`benches/python/file_server.py`) does.

use std::fs;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use socketserver::event::EventLoopTcpServer;
use socketserver::http::{FileServer, HttpEvents, ThreadingHttpServer};

use super::announce;

/// The two files: 1 KiB and 1 MiB.
pub const SMALL: (&str, usize) = ("1k.bin", 1024);
pub const LARGE: (&str, usize) = ("1m.bin", 1 << 20);

/// The served directory (made once, filled if missing): `<tmp>/socketserver-bench-files`.
pub fn dir() -> io::Result<PathBuf> {
    let dir = std::env::temp_dir().join("socketserver-bench-files");
    let root = dir.join("root");
    fs::create_dir_all(&root)?;
    for (name, size) in [SMALL, LARGE] {
        let path = root.join(name);
        if fs::metadata(&path).map(|m| m.len()).ok() != Some(size as u64) {
            let data: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
            fs::write(&path, data)?;
        }
    }
    Ok(dir)
}

/// `FileServer` on a `ThreadingHttpServer`, its access log (the library's `log` lines)
/// appended to `access-socketserver.log`, one write per line as nginx and Python do.
pub fn socketserver_files() -> io::Result<()> {
    let files = FileServer::new(files_with_log()?)?;
    let server = ThreadingHttpServer::bind("127.0.0.1:0", move || files.clone())
        .map_err(io::Error::other)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(io::Error::other)
}

/// `FileServer` on the event loop (`HttpEvents`), with the same access log: every
/// connection served by one thread, as nginx serves them.
pub fn socketserver_files_event_loop() -> io::Result<()> {
    let files = FileServer::new(files_with_log()?)?;
    let server = EventLoopTcpServer::builder()
        .disable_nagle_algorithm(true)
        .bind("127.0.0.1:0", move || HttpEvents::new(files.clone()))
        .map_err(io::Error::other)?;
    announce(server.local_addr()?);
    server.serve_forever().map_err(io::Error::other)
}

/// Installs the access log and returns the directory to serve.
fn files_with_log() -> io::Result<PathBuf> {
    let dir = dir()?;
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("access-socketserver.log"))?;
    log::set_boxed_logger(Box::new(AppendLog(log))).map_err(io::Error::other)?;
    log::set_max_level(log::LevelFilter::Info);
    Ok(dir.join("root"))
}

/// The access log as nginx writes its own: each line one `write(2)` to a file opened
/// for appending, so the serving threads share no lock (env_logger's pipe target takes a
/// mutex per line; 16 threads on one core contended for it, 2.6 futex calls a request).
struct AppendLog(fs::File);

impl log::Log for AppendLog {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let line = format!("{}\n", record.args());
            let _ = (&self.0).write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

/// Debian's nginx serving the same directory: one process (`master_process off`, so the
/// pid the harness measures and kills is the one that serves), `sendfile on`, keep-alive,
/// access log on. It replaces this process (`exec`); a forked child announces the port
/// once nginx accepts on it (announcing first would let wrk connect too early).
pub fn nginx_files() -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    let dir = dir()?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let conf = dir.join("nginx.conf");
    fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
             error_log {dir}/nginx-error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log {dir}/access-nginx.log;\n  sendfile on;\n  tcp_nopush on;\n\
             \x20 tcp_nodelay on;\n  keepalive_requests 1000000;\n\
             \x20 types {{ application/octet-stream bin; }}\n\
             \x20 client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp;\n\
             \x20 fastcgi_temp_path {dir}/tmp; uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;\n\
             \x20 server {{ listen 127.0.0.1:{port}; root {dir}/root; }}\n}}\n",
            dir = dir.display()
        ),
    )?;
    fs::create_dir_all(dir.join("tmp"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // SAFETY: this process has one thread (the harness starts it for this only), so the
    // child may run any code; it only connects, prints and exits.
    match unsafe { libc::fork() } {
        -1 => return Err(io::Error::last_os_error()),
        0 => {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if std::net::TcpStream::connect(addr).is_ok() {
                    announce(addr);
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // SAFETY: _exit ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(0) }
        }
        _ => {}
    }
    let nginx = ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|p| !p.starts_with('/') || std::path::Path::new(p).exists())
        .unwrap_or("nginx");
    let err = std::process::Command::new(nginx)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .exec();
    Err(err)
}
