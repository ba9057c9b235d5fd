//! The `Content-Type` of a served file, from its extension, with the values Python's
//! `SimpleHTTPRequestHandler.guess_type` gives.
//!
//! The table is `mime_guess`'s (the one actix-files and warp use, kept up to date with
//! the IANA and Apache lists) rather than a list kept here. Python's own answers come
//! from `mimetypes`, which also reads the machine's `/etc/mime.types`, so they are not
//! one fixed table either; where they differ from `mime_guess` for a type a browser
//! acts on, [`OVERRIDES`] has Python's value.

use std::path::Path;

/// What a file with no extension, or one nobody knows, is served as (Python's default).
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";

/// Extensions (compared without regard to case) whose type is Python's, not `mime_guess`'s:
/// `SimpleHTTPRequestHandler.extensions_map` serves compressed files as themselves, not
/// as what they contain, and `mimetypes` says `text/javascript` for modules too (RFC 9239).
const OVERRIDES: [(&str, &str); 5] = [
    ("gz", "application/gzip"),
    ("z", OCTET_STREAM),
    ("bz2", "application/x-bzip2"),
    ("xz", "application/x-xz"),
    ("mjs", "text/javascript"),
];

/// The content type for `path`, by its extension: `text/html` for `.html`, `image/png`
/// for `.png`, [`OCTET_STREAM`] when the extension is unknown or missing.
///
/// No `; charset=` is added, as in Python: the server does not know a file's encoding.
pub(crate) fn content_type(path: &Path) -> &'static str {
    // `Path::extension` is `None` for `.bashrc` and `Makefile`, like Python's `splitext`.
    let Some(ext) = path.extension().and_then(|ext| ext.to_str()) else {
        return OCTET_STREAM;
    };
    // The last answer of this thread, kept: a page's requests and a benchmark's repeat
    // extensions, and the table search costs thousands of instructions.
    thread_local! {
        static LAST: std::cell::RefCell<(String, &'static str)> =
            const { std::cell::RefCell::new((String::new(), OCTET_STREAM)) };
    }
    let cached =
        LAST.with_borrow(|(last, value)| (!last.is_empty() && last == ext).then_some(*value));
    if let Some(value) = cached {
        return value;
    }
    let value = lookup(ext);
    if ext.len() <= 16 {
        LAST.with_borrow_mut(|last| {
            last.0.clear();
            last.0.push_str(ext);
            last.1 = value;
        });
    }
    value
}

fn lookup(ext: &str) -> &'static str {
    if let Some((_, value)) = OVERRIDES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(ext))
    {
        return value;
    }
    mime_guess::from_ext(ext)
        .first_raw()
        .unwrap_or(OCTET_STREAM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(name: &str) -> &'static str {
        content_type(Path::new(name))
    }

    /// The mapping the file server's contract names.
    #[test]
    fn contract_types() {
        assert_eq!(of("index.html"), "text/html");
        assert_eq!(of("old.htm"), "text/html");
        assert_eq!(of("notes.txt"), "text/plain");
        assert_eq!(of("site.css"), "text/css");
        assert_eq!(of("app.js"), "text/javascript");
        assert_eq!(of("data.json"), "application/json");
        assert_eq!(of("logo.png"), "image/png");
        assert_eq!(of("photo.jpg"), "image/jpeg");
        assert_eq!(of("photo.jpeg"), "image/jpeg");
        assert_eq!(of("blob.unknownext"), OCTET_STREAM);
    }

    #[test]
    fn the_kept_answer_is_only_for_its_own_extension() {
        for _ in 0..2 {
            assert_eq!(of("a.css"), "text/css");
            assert_eq!(of("b.css"), "text/css");
            assert_eq!(of("c.PNG"), "image/png");
            assert_eq!(of("d.png"), "image/png");
            assert_eq!(of("e.gz"), "application/gzip");
            assert_eq!(of("Makefile"), OCTET_STREAM);
            assert_eq!(of("f.html"), "text/html");
        }
    }

    #[test]
    fn no_extension_is_octet_stream() {
        for name in ["Makefile", ".bashrc", "dir/file", "trailing.", ""] {
            assert_eq!(of(name), OCTET_STREAM, "{name:?}");
        }
    }

    #[test]
    fn case_does_not_matter() {
        assert_eq!(of("INDEX.HTML"), "text/html");
        assert_eq!(of("Photo.JPG"), "image/jpeg");
        assert_eq!(of("archive.GZ"), "application/gzip");
    }

    #[test]
    fn python_values_for_compressed_files_and_modules() {
        assert_eq!(of("backup.tar.gz"), "application/gzip");
        assert_eq!(of("old.Z"), OCTET_STREAM);
        assert_eq!(of("src.tar.bz2"), "application/x-bzip2");
        assert_eq!(of("src.tar.xz"), "application/x-xz");
        assert_eq!(of("module.mjs"), "text/javascript");
    }

    /// Names that are not UTF-8 still get a type when their extension is.
    #[cfg(unix)]
    #[test]
    fn non_utf8_name() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let name = OsStr::from_bytes(b"caf\xe9.txt");
        assert_eq!(content_type(Path::new(name)), "text/plain");
        let ext = OsStr::from_bytes(b"file.t\xffxt");
        assert_eq!(content_type(Path::new(ext)), OCTET_STREAM);
    }
}
