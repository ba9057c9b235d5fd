//! [`FileServer`]: the handler that serves a directory (Python's
//! `SimpleHTTPRequestHandler`), putting the parts of this module together.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use super::listing::{list_directory, CONTENT_TYPE as LISTING_TYPE};
use super::mime::content_type;
use super::path::{directory_redirect, Resolved, ServedRoot};
use super::send::send_file;
use crate::http::{HttpHandler, HttpRequest};

/// Serves the files of a directory over HTTP: Python's `SimpleHTTPRequestHandler`, with
/// byte ranges and without its security holes.
///
/// - `GET` and `HEAD` of a file: `200` with `Content-Type` by extension,
///   `Content-Length`, `Last-Modified`; `304` for a current `If-Modified-Since`; `206`
///   or `416` for a `Range` (see [`HttpRequest::send_file`]). Other methods: `501`.
/// - A directory: its `index.html` (or `index.htm`), else a listing sorted by name,
///   subdirectories with a trailing `/`, names HTML-escaped in the text and
///   percent-encoded in the links. Asked for without its trailing `/`: `301` to the
///   same path plus `/`, the query kept, never to another host (`//example.com/dir`
///   goes to `/example.com/dir/`, CPython's CVE-2021-28861).
/// - Nothing outside the directory is served however the path is spelled: `..` (also
///   `%2e%2e`), `%2f`, `%5c`, backslashes, NUL and absolute paths get `400`; a
///   symbolic link that leads outside gets `403`; what is not there, `404`.
/// - File bodies go out by `sendfile` on plain sockets (through TLS they are read and
///   encrypted); memory does not grow with a file's size.
///
/// One value is cheap to clone (the directory is shared), so a server's factory clones
/// it for every connection:
///
/// ```no_run
/// use socketserver::http::{FileServer, ThreadingHttpServer};
///
/// let files = FileServer::new("public")?;
/// let server = ThreadingHttpServer::bind("127.0.0.1:8000", move || files.clone())?;
/// server.serve_forever()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A handler of your own can serve some paths itself and hand the others to
/// [`serve`](Self::serve).
#[derive(Debug, Clone)]
pub struct FileServer {
    root: Arc<ServedRoot>,
}

impl FileServer {
    /// Serves the directory `dir` (made canonical now: a later rename of `dir` does not
    /// change what is served). Fails when `dir` is not a directory.
    pub fn new(dir: impl AsRef<Path>) -> io::Result<Self> {
        Ok(FileServer {
            root: Arc::new(ServedRoot::new(dir)?),
        })
    }

    /// The directory served, canonical.
    pub fn directory(&self) -> &Path {
        self.root.path()
    }

    /// Answers a `GET` or `HEAD` request from the directory (the method is not checked:
    /// [`HttpHandler::handle`] does that for this type).
    pub fn serve(&self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        match self.root.resolve(req.path()) {
            Resolved::File { path, metadata } => match File::open(&path) {
                Ok(file) => send_file(req, &file, &metadata, content_type(&path)),
                Err(err) => refuse_open(req, &err),
            },
            Resolved::Directory {
                trailing_slash: false,
                ..
            } => {
                let location = directory_redirect(req.path());
                req.send_response(301)?;
                req.send_header("Location", location)?;
                req.send_header("Content-Length", 0)?;
                req.end_headers()
            }
            Resolved::Directory { path, .. } => {
                if let Some((index, metadata)) = self.root.index_file(&path) {
                    return match File::open(&index) {
                        Ok(file) => send_file(req, &file, &metadata, content_type(&index)),
                        Err(err) => refuse_open(req, &err),
                    };
                }
                let page = match list_directory(&path, req.path()) {
                    Ok(page) => page,
                    Err(err) => {
                        log::debug!("listing {}: {err}", path.display());
                        return req.send_error(404, Some("No permission to list directory"));
                    }
                };
                req.send_response(200)?;
                req.send_header("Content-Type", LISTING_TYPE)?;
                req.send_header("Content-Length", page.len())?;
                req.end_headers()?;
                req.wfile().write_all(&page)
            }
            Resolved::NotFound => req.send_error(404, Some("File not found")),
            Resolved::Forbidden => req.send_error(403, None),
            Resolved::BadRequest => req.send_error(400, Some("Bad path")),
        }
    }
}

/// A file that resolved but cannot be opened (removed since, or unreadable).
fn refuse_open(req: &mut HttpRequest<'_>, err: &io::Error) -> io::Result<()> {
    if err.kind() == io::ErrorKind::PermissionDenied {
        req.send_error(403, None)
    } else {
        req.send_error(404, Some("File not found"))
    }
}

impl HttpHandler for FileServer {
    fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        self.serve(req)
    }

    fn do_head(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
        self.serve(req)
    }
}
