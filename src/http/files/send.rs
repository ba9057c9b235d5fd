//! Sending one file as the response, with the conditional and range logic of the file
//! server: `304` for a current `If-Modified-Since`, `206` for a `Range` (honoured only
//! when an `If-Range` matches), `416` for a range past the end, else `200`; the body by
//! `sendfile` where the socket allows it.

use std::fs::{File, Metadata};
use std::io::{self, Seek, SeekFrom};

use super::conditional::{last_modified, not_modified};
use super::range::ByteRange;
use crate::http::HttpRequest;

/// The page of a `416`: short, with its own length, so the connection stays open.
const NOT_SATISFIABLE: &str = "Requested range not satisfiable\n";

/// Answers `req` with `file` (whose `metadata` is given, so a caller that has it need
/// not ask again) as `content_type`. See [`HttpRequest::send_file`].
pub(crate) fn send_file(
    req: &mut HttpRequest<'_>,
    mut file: &File,
    metadata: &Metadata,
    content_type: &str,
) -> io::Result<()> {
    let size = metadata.len();
    let modified = metadata.modified().ok();
    let last_modified = modified.and_then(last_modified);
    if let Some(mtime) = modified {
        if not_modified(req.headers(), mtime) {
            req.send_response(304)?;
            if let Some(date) = &last_modified {
                req.send_header("Last-Modified", date)?;
            }
            return req.end_headers();
        }
    }
    // If-Range: the range is for the copy the client has; another copy gets it all.
    let if_range_matches = match req.header("If-Range") {
        None => true,
        Some(value) => last_modified
            .as_deref()
            .is_some_and(|date| value.trim() == date),
    };
    let range = if if_range_matches {
        ByteRange::parse(req.header("Range"), size)
    } else {
        ByteRange::Full
    };
    if range == ByteRange::NotSatisfiable {
        req.send_response(416)?;
        if let Some(content_range) = range.content_range(size) {
            req.send_header("Content-Range", content_range)?;
        }
        req.send_header("Content-Type", "text/plain; charset=utf-8")?;
        req.send_header("Content-Length", NOT_SATISFIABLE.len())?;
        req.end_headers()?;
        return io::Write::write_all(&mut req.wfile(), NOT_SATISFIABLE.as_bytes());
    }
    req.send_response(range.status())?;
    req.send_header("Content-Type", content_type)?;
    req.send_header("Content-Length", range.body_len(size))?;
    if let Some(date) = &last_modified {
        req.send_header("Last-Modified", date)?;
    }
    req.send_header("Accept-Ranges", "bytes")?;
    if let Some(content_range) = range.content_range(size) {
        req.send_header("Content-Range", content_range)?;
    }
    req.end_headers()?;
    if req.is_head() {
        return Ok(());
    }
    if let ByteRange::Partial { start, .. } = range {
        file.seek(SeekFrom::Start(start))?;
    }
    req.send_file_body(file, range.body_len(size))
}
