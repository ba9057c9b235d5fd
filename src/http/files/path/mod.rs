//! Mapping a request target to a file or directory inside the served root
//! ([`ServedRoot::resolve`]), so that nothing outside the root is ever served however the
//! path is spelled, and the `Location` of a directory's redirect
//! ([`directory_redirect`]), which never names another host.
//!
//! The target is split on `/` *before* it is percent-decoded, and each segment is decoded
//! exactly once, so `%2f` and `%5c` cannot make new separators and `%252e` stays the
//! three characters `%2e`. A segment must then name one entry of a directory: `..` (in
//! any spelling), a `/` or `\`, a NUL byte or a drive prefix refuse the request. What is
//! left is walked one entry at a time from the canonical root; a symbolic link is
//! resolved (`canonicalize`) where it is met and followed only if it lands inside the
//! root, so a link that points outside is never followed, and neither is anything
//! reached through it.
//!
//! Python's `translate_path` drops the segments it distrusts and serves what remains;
//! this refuses the request instead (clients remove dot segments before sending, RFC
//! 3986 §5.2.4, so a `..` that arrives was written by hand), and it also refuses
//! symbolic links out of the root, which Python follows.

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// The files Python serves for a directory instead of its listing, in this order.
pub(crate) const INDEX_FILES: [&str; 2] = ["index.html", "index.htm"];

/// The directory a file server serves, made canonical once (symbolic links and `..`
/// resolved), so every containment check compares against the same real path.
#[derive(Debug, Clone)]
pub(crate) struct ServedRoot {
    root: PathBuf,
}

/// Where a request target leads.
#[derive(Debug)]
pub(crate) enum Resolved {
    /// A regular file inside the root: serve it (`200`). `path` is canonical.
    File {
        /// The file's canonical path.
        path: PathBuf,
        /// Its metadata (size, modification time), with symbolic links followed.
        metadata: Metadata,
    },
    /// A directory inside the root. With `trailing_slash` false the client asked for
    /// `/dir` and must be sent to `/dir/` first ([`directory_redirect`], `301`), so that
    /// the relative links of its index or listing resolve inside it.
    Directory {
        /// The directory's canonical path.
        path: PathBuf,
        /// Whether the request path ended with `/`.
        trailing_slash: bool,
    },
    /// Nothing there (`404`); also a file asked for with a trailing `/`, as in Python.
    NotFound,
    /// Something there that is not served (`403`): a symbolic link out of the root,
    /// a FIFO, socket or device, or an entry the server may not read.
    Forbidden,
    /// A target that cannot name a path inside the root (`400`): not a path (`*`,
    /// `example.com:443`), a `..` segment, a segment that decodes to contain `/`, `\`
    /// or NUL, a drive prefix (Windows).
    BadRequest,
}

impl Resolved {
    /// The status this outcome is answered with; a directory without its trailing slash
    /// is `301`.
    #[cfg_attr(not(test), allow(dead_code))] // The handler matches on the variants.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Resolved::File { .. } => 200,
            Resolved::Directory {
                trailing_slash: true,
                ..
            } => 200,
            Resolved::Directory {
                trailing_slash: false,
                ..
            } => 301,
            Resolved::NotFound => 404,
            Resolved::Forbidden => 403,
            Resolved::BadRequest => 400,
        }
    }
}

impl ServedRoot {
    /// Serves `dir`, which must be a directory; it is made canonical here, so a root
    /// given through a symbolic link serves the directory the link points to.
    pub(crate) fn new(dir: impl AsRef<Path>) -> io::Result<Self> {
        let root = fs::canonicalize(dir.as_ref())?;
        if !fs::metadata(&root)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{}: not a directory", root.display()),
            ));
        }
        Ok(ServedRoot { root })
    }

    /// The canonical root directory.
    pub(crate) fn path(&self) -> &Path {
        &self.root
    }

    /// Where `target` (the request target as sent: `/docs/a%20b.txt?x=1`, or the
    /// absolute form `http://host/docs/...`) leads inside the root. The query string and
    /// fragment are ignored; every other byte counts.
    ///
    /// The answer holds for the moment of the call: someone who can write inside the root
    /// can still swap an entry for a symbolic link before the caller opens the path.
    pub(crate) fn resolve(&self, target: &str) -> Resolved {
        match self.try_resolve(target) {
            Ok(resolved) => resolved,
            Err(refusal) => refusal.into(),
        }
    }

    fn try_resolve(&self, target: &str) -> Result<Resolved, Refusal> {
        let path = target_path(target).ok_or(Refusal::BadRequest)?;
        let segments = segments(path)?;
        let mut current = self.root.clone();
        // The root itself is looked at only when it is what was asked for: each step
        // looks at what it reaches (one `statx` per request for a file at the top).
        let mut reached = None;
        for segment in segments {
            current.push(segment);
            let (path, metadata) = self.step(current)?;
            (current, reached) = (path, Some(metadata));
        }
        let metadata = match reached {
            Some(metadata) => metadata,
            None => fs::metadata(&current).map_err(|err| from_io(&err))?,
        };
        let trailing_slash = path.ends_with('/');
        if metadata.is_dir() {
            Ok(Resolved::Directory {
                path: current,
                trailing_slash,
            })
        } else if !metadata.is_file() {
            // A FIFO would block the reading thread forever; devices and sockets are
            // not files to serve either.
            Err(Refusal::Forbidden)
        } else if trailing_slash {
            // `/file.txt/` names a directory that is not there (Python's bpo-17324).
            Err(Refusal::NotFound)
        } else {
            Ok(Resolved::File {
                path: current,
                metadata,
            })
        }
    }

    /// The index file of `dir` (a directory [`resolve`](Self::resolve) returned):
    /// `index.html`, else `index.htm`, when it is a regular file inside the root. An
    /// index that is a symbolic link out of the root is passed over, as if absent.
    pub(crate) fn index_file(&self, dir: &Path) -> Option<(PathBuf, Metadata)> {
        INDEX_FILES.iter().find_map(|name| {
            self.step(dir.join(name))
                .ok()
                .filter(|(_, metadata)| metadata.is_file())
        })
    }

    /// Looks at `candidate`, whose parent is a canonical directory inside the root:
    /// returns its canonical path and metadata, resolving a symbolic link only when it
    /// points inside the root.
    fn step(&self, candidate: PathBuf) -> Result<(PathBuf, Metadata), Refusal> {
        let metadata = fs::symlink_metadata(&candidate).map_err(|err| from_io(&err))?;
        if !metadata.file_type().is_symlink() {
            return Ok((candidate, metadata));
        }
        let real = fs::canonicalize(&candidate).map_err(|err| from_io(&err))?;
        if !real.starts_with(&self.root) {
            log::debug!(
                "{}: symbolic link out of {}, not followed",
                candidate.display(),
                self.root.display()
            );
            return Err(Refusal::Forbidden);
        }
        let metadata = fs::metadata(&real).map_err(|err| from_io(&err))?;
        Ok((real, metadata))
    }
}

/// The outcomes of [`Resolved`] that serve nothing, on their own so the walk's `Result`
/// stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NotFound,
    Forbidden,
    BadRequest,
}

impl From<Refusal> for Resolved {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound => Resolved::NotFound,
            Refusal::Forbidden => Resolved::Forbidden,
            Refusal::BadRequest => Resolved::BadRequest,
        }
    }
}

/// The outcome of a failed look-up: only a refusal by the file system is `403`; anything
/// else (missing, not a directory, a loop, a name too long) is nothing to serve.
fn from_io(err: &io::Error) -> Refusal {
    match err.kind() {
        io::ErrorKind::PermissionDenied => Refusal::Forbidden,
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Refusal::NotFound,
        _ => {
            log::debug!("file look-up failed: {err}");
            Refusal::NotFound
        }
    }
}

/// The path of a request target, still percent-encoded, without query and fragment:
/// `/a/b` for `/a/b?x#y` and for the absolute form `http://host/a/b?x`. `None` for a
/// target that has no path (`*`, the authority form `host:443`, a relative path).
fn target_path(target: &str) -> Option<&str> {
    let end = target.find(['?', '#']).unwrap_or(target.len());
    let target = &target[..end];
    if target.starts_with('/') {
        return Some(target);
    }
    // RFC 9112 §3.2.2: a server must accept the absolute form; only its path is used.
    let scheme_len = if starts_with_ignore_case(target, "http://") {
        "http://".len()
    } else if starts_with_ignore_case(target, "https://") {
        "https://".len()
    } else {
        return None;
    };
    let after_authority = &target[scheme_len..];
    Some(match after_authority.find('/') {
        Some(slash) => &after_authority[slash..],
        None => "/",
    })
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The entry names `path` walks through, each percent-decoded once; `.` and empty
/// segments are skipped (as in Python), anything that is not one entry name refuses
/// the request.
fn segments(path: &str) -> Result<Vec<OsString>, Refusal> {
    // Raw control bytes and backslashes never reach here through httparse; checked
    // anyway so this function is safe on its own.
    if path.bytes().any(|b| b.is_ascii_control() || b == b'\\') {
        return Err(Refusal::BadRequest);
    }
    let mut names = Vec::new();
    for raw in path.split('/').filter(|raw| !raw.is_empty()) {
        let decoded: Vec<u8> = percent_decode_str(raw).collect();
        if decoded.iter().any(|&b| b == 0 || b == b'/' || b == b'\\') {
            return Err(Refusal::BadRequest);
        }
        match &decoded[..] {
            b"." => continue,
            b".." => return Err(Refusal::BadRequest),
            _ => {}
        }
        let name = os_name(decoded).ok_or(Refusal::BadRequest)?;
        // The platform's own parse must see exactly one plain name: this is where a
        // Windows drive (`C:`) or other prefix is caught.
        let mut components = Path::new(&name).components();
        let plain = matches!(
            (components.next(), components.next()),
            (Some(Component::Normal(one)), None) if one == name.as_os_str()
        );
        if !plain || (cfg!(windows) && name.to_string_lossy().contains(':')) {
            return Err(Refusal::BadRequest);
        }
        names.push(name);
    }
    Ok(names)
}

/// An entry name from decoded bytes: any bytes on Unix, where names are bytes; UTF-8
/// elsewhere.
#[cfg(unix)]
fn os_name(bytes: Vec<u8>) -> Option<OsString> {
    use std::os::unix::ffi::OsStringExt;
    Some(OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn os_name(bytes: Vec<u8>) -> Option<OsString> {
    String::from_utf8(bytes).ok().map(OsString::from)
}

/// Bytes percent-encoded in a `Location` (besides controls and non-ASCII): those that
/// are not allowed in a URL as sent, and `\`, which browsers read as `/` (so `/\host`
/// would be `//host`, another host).
const LOCATION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The `Location` for a directory asked for without its trailing slash: the same path
/// plus `/`, the query string kept (Python drops an empty one, and so does this), the
/// fragment dropped.
///
/// It is always a path on this host: leading slashes collapse to one, so
/// `//example.com/dir` goes to `/example.com/dir/`, never to `example.com`
/// (CVE-2021-28861); the absolute form keeps only its path; and controls, spaces and
/// backslashes are percent-encoded, since browsers drop tabs and newlines and read `\`
/// as `/`.
pub(crate) fn directory_redirect(target: &str) -> String {
    let (before_fragment, _) = target.split_once('#').unwrap_or((target, ""));
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    let path = target_path(path).unwrap_or(path);
    let mut location = String::with_capacity(target.len() + 2);
    location.push('/');
    location.extend(utf8_percent_encode(path.trim_start_matches('/'), LOCATION));
    if !location.ends_with('/') {
        location.push('/');
    }
    if let Some(query) = query.filter(|query| !query.is_empty()) {
        location.push('?');
        location.extend(utf8_percent_encode(query, LOCATION));
    }
    location
}

// The tests build trees with symbolic links, which are Unix's.
#[cfg(all(test, unix))]
mod tests;
