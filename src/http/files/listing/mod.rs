//! The HTML page listing a directory that has no index file, as Python's
//! `SimpleHTTPRequestHandler.list_directory` writes it ([`list_directory`]).
//!
//! The page is Python's, byte for byte, for directories whose names are UTF-8, with two
//! differences: a name that is not UTF-8 links to its real bytes (Python's
//! `quote(..., errors='surrogatepass')` encodes them as surrogates, so the link is
//! broken), and the title shows the path without its query string. Which index file
//! replaces the listing is decided by
//! [`ServedRoot::index_file`](super::path::ServedRoot::index_file), which also keeps an
//! index that is a link out of the root from being served.

use std::cmp::Ordering;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The `Content-Type` of a listing.
pub(crate) const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// What Python's `urllib.parse.quote` percent-encodes with its default `safe='/'`:
/// everything but letters, digits, `_.-~` and `/`.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// The listing of `dir`, for the page at `url_path` (the request target as sent, such as
/// `/docs/a%20b/`; it is percent-decoded and escaped for the title, and its query string
/// and fragment are left out).
///
/// One `<li>` per entry, sorted by name without regard to case as Python sorts (by
/// `name.lower()`; names equal that way are ordered by their bytes). A directory, or a
/// link to one, is shown and linked with a trailing `/`; a symbolic link is shown with a
/// trailing `@`, as Python does. Names are HTML-escaped in the text and percent-encoded in
/// the link.
///
/// An error reading the directory is returned (Python answers `404` "No permission to
/// list directory").
pub(crate) fn list_directory(dir: &Path, url_path: &str) -> io::Result<Vec<u8>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_symlink = entry.file_type()?.is_symlink();
        // Python's `os.path.isdir` follows links; a broken one is not a directory.
        let is_dir = fs::metadata(entry.path()).is_ok_and(|metadata| metadata.is_dir());
        entries.push(Entry {
            key: sort_key(name.as_encoded_bytes()),
            name,
            is_dir,
            is_symlink,
        });
    }
    entries.sort_by(Entry::order);

    let title = format!("Directory listing for {}", escape(&display_path(url_path)));
    let mut page = String::with_capacity(256 + entries.len() * 64);
    page.push_str("<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Writing to a String cannot fail.
    let _ = write!(
        page,
        "<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<hr>\n<ul>\n"
    );
    for entry in &entries {
        let _ = writeln!(
            page,
            "<li><a href=\"{}\">{}</a></li>",
            entry.href(),
            escape(&entry.text())
        );
    }
    page.push_str("</ul>\n<hr>\n</body>\n</html>\n");
    Ok(page.into_bytes())
}

/// One directory entry, as the listing shows it.
struct Entry {
    name: OsString,
    key: Vec<u32>,
    is_dir: bool,
    is_symlink: bool,
}

impl Entry {
    fn order(a: &Entry, b: &Entry) -> Ordering {
        a.key
            .cmp(&b.key)
            .then_with(|| a.name.as_encoded_bytes().cmp(b.name.as_encoded_bytes()))
    }

    /// The link: the name's bytes percent-encoded, so names that are not UTF-8 link to
    /// themselves; a directory's ends with `/` so its page's relative links work.
    fn href(&self) -> String {
        let mut href: String = percent_encode(self.name.as_encoded_bytes(), QUOTE).collect();
        if self.is_dir {
            href.push('/');
        }
        href
    }

    /// The text: the name (bytes that are not UTF-8 shown as U+FFFD), then `@` for a
    /// link or else `/` for a directory.
    fn text(&self) -> String {
        let mut text = self.name.to_string_lossy().into_owned();
        if self.is_symlink {
            text.push('@');
        } else if self.is_dir {
            text.push('/');
        }
        text
    }
}

/// Python's `name.lower()` as code points. A byte that is not UTF-8 is, in Python's
/// `os.listdir`, the lone surrogate U+DC80..U+DCFF, which `lower` leaves alone; it is
/// the same number here, so the order is Python's for every name.
fn sort_key(name: &[u8]) -> Vec<u32> {
    let mut key = Vec::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        key.extend(chunk.valid().to_lowercase().chars().map(u32::from));
        key.extend(chunk.invalid().iter().map(|&b| 0xDC00 + u32::from(b)));
    }
    key
}

/// The path part of `url_path`, percent-decoded, as text.
fn display_path(url_path: &str) -> String {
    let end = url_path.find(['?', '#']).unwrap_or(url_path.len());
    percent_decode_str(&url_path[..end])
        .decode_utf8_lossy()
        .into_owned()
}

/// Python's `html.escape(text, quote=False)`: the text is element content, where only
/// `&`, `<` and `>` are markup.
fn escape(text: &str) -> String {
    crate::http::text::escape_markup(text, false)
}

#[cfg(test)]
mod tests;
