//! Text the HTTP layer writes or checks: ISO-8859-1 decoding of request bytes, HTML
//! escaping for pages, control-character escaping for the log, response head lines, and
//! the checks that keep a handler's header lines from splitting the response.

use std::io;
use std::time::SystemTime;

/// Bytes as ISO-8859-1 text, Python's decoding of request lines and headers: every byte
/// is a character, so no input is rejected here.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Log lines show control characters as `\xNN`, as Python's `log_message` does, so a
/// request line cannot forge log lines or move the terminal's cursor (CPython gh-100001).
pub(crate) fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            c if c.is_control() => escaped.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Python's `html.escape(text, quote=True)`.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
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
    buffer.extend_from_slice(format!("HTTP/1.1 {code} {reason}\r\n").as_bytes());
    push_field(buffer, "Server", server_version);
    push_field(buffer, "Date", &httpdate::fmt_http_date(SystemTime::now()));
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
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
