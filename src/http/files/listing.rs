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
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path, url_path: &str) -> String {
        String::from_utf8(list_directory(dir, url_path).unwrap()).unwrap()
    }

    /// The `<li>` lines of a page.
    fn items(page: &str) -> Vec<&str> {
        page.lines()
            .filter(|line| line.starts_with("<li>"))
            .collect()
    }

    /// The whole page, compared with what Python 3.11's `list_directory` writes for the
    /// same directory.
    #[test]
    fn the_page_is_pythons() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.txt"), "").unwrap();
        fs::write(dir.path().join("A.html"), "").unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        let page = listing(dir.path(), "/files/");
        assert_eq!(CONTENT_TYPE, "text/html; charset=utf-8"); // Python's `Content-type`
        assert_eq!(
            page,
            "<!DOCTYPE HTML>\n\
             <html lang=\"en\">\n\
             <head>\n\
             <meta charset=\"utf-8\">\n\
             <title>Directory listing for /files/</title>\n\
             </head>\n\
             <body>\n\
             <h1>Directory listing for /files/</h1>\n\
             <hr>\n\
             <ul>\n\
             <li><a href=\"A.html\">A.html</a></li>\n\
             <li><a href=\"b.txt\">b.txt</a></li>\n\
             <li><a href=\"sub/\">sub/</a></li>\n\
             </ul>\n\
             <hr>\n\
             </body>\n\
             </html>\n"
        );
    }

    /// A directory with names that sort, escape and encode in every way, against the
    /// items Python 3.11's `list_directory` wrote for the same directory.
    #[cfg(unix)]
    #[test]
    fn items_match_python_for_a_mixed_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "b.txt",
            "A.html",
            "beta",
            "Alpha",
            "_under",
            "Zeta",
            "alpha2",
            "10",
            "9",
            "Éclair",
            "eclair",
            "a b.txt",
            "<script>.html",
            "x&y",
            "q?.txt",
            "h#1",
            "100%",
            "\"quoted\"",
        ] {
            fs::write(d.join(name), "").unwrap();
        }
        fs::create_dir(d.join("sub")).unwrap();
        fs::create_dir(d.join("new folder")).unwrap();
        std::os::unix::fs::symlink("sub", d.join("link_dir")).unwrap();
        let page = listing(d, "/a%20b/%3Cx%3E/");
        assert!(page.contains("<h1>Directory listing for /a b/&lt;x&gt;/</h1>\n"));
        assert_eq!(
            items(&page),
            [
                "<li><a href=\"%22quoted%22\">\"quoted\"</a></li>",
                "<li><a href=\"10\">10</a></li>",
                "<li><a href=\"100%25\">100%</a></li>",
                "<li><a href=\"9\">9</a></li>",
                "<li><a href=\"%3Cscript%3E.html\">&lt;script&gt;.html</a></li>",
                "<li><a href=\"_under\">_under</a></li>",
                "<li><a href=\"a%20b.txt\">a b.txt</a></li>",
                "<li><a href=\"A.html\">A.html</a></li>",
                "<li><a href=\"Alpha\">Alpha</a></li>",
                "<li><a href=\"alpha2\">alpha2</a></li>",
                "<li><a href=\"b.txt\">b.txt</a></li>",
                "<li><a href=\"beta\">beta</a></li>",
                "<li><a href=\"eclair\">eclair</a></li>",
                "<li><a href=\"h%231\">h#1</a></li>",
                "<li><a href=\"link_dir/\">link_dir@</a></li>",
                "<li><a href=\"new%20folder/\">new folder/</a></li>",
                "<li><a href=\"q%3F.txt\">q?.txt</a></li>",
                "<li><a href=\"sub/\">sub/</a></li>",
                "<li><a href=\"x%26y\">x&amp;y</a></li>",
                "<li><a href=\"Zeta\">Zeta</a></li>",
                "<li><a href=\"%C3%89clair\">Éclair</a></li>",
            ]
        );
    }

    #[test]
    fn an_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        let page = listing(dir.path(), "/");
        assert!(page.contains("<title>Directory listing for /</title>"));
        assert!(page.contains("<h1>Directory listing for /</h1>"));
        assert!(page.contains("<ul>\n</ul>\n"));
        assert!(items(&page).is_empty());
    }

    /// Python sorts by `name.lower()`: case does not separate names, and the order is by
    /// code point after that (`1` before `9`, `_` before letters, `é` after `z`).
    #[test]
    fn sorted_without_regard_to_case() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "beta", "Alpha", "_under", "Zeta", "alpha2", "10", "9", "Éclair", "eclair",
        ] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        let page = listing(dir.path(), "/");
        let names: Vec<&str> = items(&page)
            .iter()
            .map(|line| line.split('>').nth(2).unwrap().trim_end_matches("</a"))
            .collect();
        assert_eq!(
            names,
            ["10", "9", "_under", "Alpha", "alpha2", "beta", "eclair", "Zeta", "Éclair"]
        );
    }

    #[test]
    fn names_are_escaped_and_links_encoded() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a b.txt",
            "<script>.html",
            "x&y",
            "q?.txt",
            "h#1",
            "100%",
            "\"quoted\"",
            "café",
        ] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        fs::create_dir(dir.path().join("new folder")).unwrap();
        let page = listing(dir.path(), "/");
        let items = items(&page);
        for expected in [
            "<li><a href=\"a%20b.txt\">a b.txt</a></li>",
            "<li><a href=\"%3Cscript%3E.html\">&lt;script&gt;.html</a></li>",
            "<li><a href=\"x%26y\">x&amp;y</a></li>",
            "<li><a href=\"q%3F.txt\">q?.txt</a></li>",
            "<li><a href=\"h%231\">h#1</a></li>",
            "<li><a href=\"100%25\">100%</a></li>",
            "<li><a href=\"%22quoted%22\">\"quoted\"</a></li>",
            "<li><a href=\"caf%C3%A9\">café</a></li>",
            "<li><a href=\"new%20folder/\">new folder/</a></li>",
        ] {
            assert!(items.contains(&expected), "{expected} not in {items:#?}");
        }
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn the_title_is_the_decoded_escaped_path() {
        let dir = tempfile::tempdir().unwrap();
        let page = listing(dir.path(), "/a%20b/%3Cx%3E/caf%C3%A9/?sort=name#top");
        assert!(page.contains("<title>Directory listing for /a b/&lt;x&gt;/café/</title>"));
        assert!(page.contains("<h1>Directory listing for /a b/&lt;x&gt;/café/</h1>"));
        let page = listing(dir.path(), "/%FF/");
        assert!(page.contains("<title>Directory listing for /\u{FFFD}/</title>"));
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_marked() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("real_dir")).unwrap();
        fs::write(d.join("real_file"), "").unwrap();
        symlink("real_dir", d.join("link_dir")).unwrap();
        symlink("real_file", d.join("link_file")).unwrap();
        symlink("nowhere", d.join("link_broken")).unwrap();
        let page = listing(d, "/");
        assert_eq!(
            items(&page),
            [
                "<li><a href=\"link_broken\">link_broken@</a></li>",
                "<li><a href=\"link_dir/\">link_dir@</a></li>",
                "<li><a href=\"link_file\">link_file@</a></li>",
                "<li><a href=\"real_dir/\">real_dir/</a></li>",
                "<li><a href=\"real_file\">real_file</a></li>",
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = OsStr::from_bytes(b"caf\xe9 <1>.txt");
        if let Err(err) = fs::write(dir.path().join(name), "") {
            // Some file systems (macOS, ZFS with utf8only) refuse such names.
            eprintln!("skipped: {err}");
            return;
        }
        let page = listing(dir.path(), "/");
        assert_eq!(
            items(&page),
            ["<li><a href=\"caf%E9%20%3C1%3E.txt\">caf\u{FFFD} &lt;1&gt;.txt</a></li>"]
        );
    }

    /// Python's order for names that are not UTF-8: the byte as a lone surrogate
    /// (U+DC80..U+DCFF), after the letters and before U+E000.
    #[test]
    fn sort_key_of_bytes_that_are_not_utf8() {
        assert_eq!(sort_key(b"Ab"), [u32::from('a'), u32::from('b')]);
        assert_eq!(sort_key(b"a\xe9"), [u32::from('a'), 0xDCE9]);
        assert!(sort_key(b"\xe9") > sort_key("é".as_bytes()));
        assert!(sort_key(b"\xe9") < sort_key("\u{E000}".as_bytes()));
        // Python's `lower` maps a final capital sigma to ς, as `str::to_lowercase` does.
        assert_eq!(sort_key("ΑΣ".as_bytes()), sort_key("ας".as_bytes()));
    }

    #[test]
    fn an_unreadable_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list_directory(&dir.path().join("missing"), "/missing/").is_err());
        fs::write(dir.path().join("file"), "").unwrap();
        assert!(list_directory(&dir.path().join("file"), "/file/").is_err());
    }
}
