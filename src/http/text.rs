//! Text the HTTP layer writes or checks: ISO-8859-1 decoding of request bytes, HTML
//! escaping for pages, control-character escaping for the log, response head lines, and
//! the checks that keep a handler's header lines from splitting the response.

use std::cell::Cell;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bytes as ISO-8859-1 text, Python's decoding of request lines and headers: every byte
/// is a character, so no input is rejected here.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    // ASCII, what nearly every request is, reads the same in both and is UTF-8 as it is:
    // one copy instead of a character at a time.
    if bytes.is_ascii() {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return text.to_owned();
        }
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Log lines show control characters as `\xNN`, as Python's `log_message` does, so a
/// request line cannot forge log lines or move the terminal's cursor (CPython gh-100001).
/// A line with nothing to escape, the usual case, is returned as it is.
pub(crate) fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    // C0 controls and DEL are single bytes; C1 controls (U+0080..U+009F) start with 0xC2.
    let plain = |b: &u8| *b >= 0x20 && *b != 0x7f && *b != b'\\' && *b != 0xc2;
    if text.as_bytes().iter().all(plain) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            c if c.is_control() => escaped.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// Python's `html.escape(text, quote=True)`.
pub(crate) fn escape_html(text: &str) -> String {
    escape_markup(text, true)
}

/// Python's `html.escape(text, quote)`: `&`, `<` and `>` always, the quotes too when the
/// text may stand in an attribute.
pub(crate) fn escape_markup(text: &str, quote: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' if quote => escaped.push_str("&quot;"),
            '\'' if quote => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A field name is a token: visible ASCII without separators (RFC 9110 §5.6.2).
pub(crate) fn check_field_name(name: &str) -> io::Result<()> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if !name.is_empty() && name.bytes().all(is_tchar) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid header name {name:?}"),
        ))
    }
}

/// A line break in a value would end the header early and let the rest forge headers
/// or a body (response splitting); a NUL is refused as well.
pub(crate) fn check_field_value(value: &str) -> io::Result<()> {
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("header value with a line break: {value:?}"),
        ))
    } else {
        Ok(())
    }
}

/// The status line and the headers every response carries.
pub(crate) fn status_head(buffer: &mut Vec<u8>, code: u16, reason: &str, server_version: &str) {
    // Writing to a Vec cannot fail.
    let _ = write!(buffer, "HTTP/1.1 {code} {reason}\r\n");
    push_field(buffer, "Server", server_version);
    buffer.extend_from_slice(b"Date: ");
    push_date(buffer, SystemTime::now());
    buffer.extend_from_slice(b"\r\n");
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is always this long.
const HTTP_DATE_LEN: usize = 29;

/// The `Date` header's value, formatted once per second per thread (as nginx does): every
/// response has one.
fn push_date(buffer: &mut Vec<u8>, now: SystemTime) {
    thread_local! {
        static LAST: Cell<(u64, [u8; HTTP_DATE_LEN])> = const { Cell::new((u64::MAX, [0; HTTP_DATE_LEN])) };
    }
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (cached, mut text) = LAST.get();
    if cached != secs {
        let mut out = &mut text[..];
        if write!(out, "{}", httpdate::HttpDate::from(now)).is_err() || !out.is_empty() {
            // Not 29 bytes (a year past 9999): as it comes, uncached.
            let _ = write!(buffer, "{}", httpdate::HttpDate::from(now));
            return;
        }
        LAST.set((secs, text));
    }
    buffer.extend_from_slice(&text);
}

/// One header line.
pub(crate) fn push_field(buffer: &mut Vec<u8>, name: &str, value: &str) {
    buffer.extend_from_slice(name.as_bytes());
    buffer.extend_from_slice(b": ");
    buffer.extend_from_slice(value.as_bytes());
    buffer.extend_from_slice(b"\r\n");
}

/// An error for a handler that used the response API out of order.
pub(crate) fn misuse(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_header_is_an_imf_fixdate_cached_per_second() {
        let at = UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        for _ in 0..2 {
            let mut buffer = Vec::new();
            push_date(&mut buffer, at);
            assert_eq!(buffer, b"Sun, 06 Nov 1994 08:49:37 GMT");
        }
        let mut buffer = Vec::new();
        push_date(&mut buffer, at + std::time::Duration::from_secs(1));
        assert_eq!(buffer, b"Sun, 06 Nov 1994 08:49:38 GMT");
    }

    #[test]
    fn latin1_decodes_ascii_and_every_other_byte() {
        assert_eq!(latin1(b"GET / HTTP/1.1"), "GET / HTTP/1.1");
        assert_eq!(latin1(b"caf\xe9 \xff"), "caf\u{e9} \u{ff}");
    }

    #[test]
    fn field_checks() {
        assert!(check_field_name("Content-Type").is_ok());
        assert!(check_field_name("Bad Name").is_err());
        assert!(check_field_name("").is_err());
        assert!(check_field_value("text/html").is_ok());
        assert!(check_field_value("a\r\nSet-Cookie: x").is_err());
        assert!(check_field_value("a\nb").is_err());
        assert!(check_field_value("a\0b").is_err());
    }

    #[test]
    fn log_escaping() {
        assert_eq!(escape_controls("GET /\x1b[2J \\ x"), "GET /\\x1b[2J \\\\ x");
        assert_eq!(escape_controls("a\r\nforged"), "a\\x0d\\x0aforged");
        assert_eq!(escape_controls("a\u{85}b é"), "a\\x85b é");
        assert!(matches!(
            escape_controls("GET / HTTP/1.1"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
