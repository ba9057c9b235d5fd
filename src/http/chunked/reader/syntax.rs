//! The grammar the decoder checks (RFC 9110 §5.6, RFC 9112 §5 and §7.1.1): hex digits,
//! tokens, quoted strings, chunk extensions and trailer field lines.

use crate::http::text;

pub(super) fn hex_value(digit: u8) -> u64 {
    u64::from(match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    })
}

/// RFC 9110 §5.6.2 `tchar`: the characters of a token.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn skip_token(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&b| is_tchar(b)) {
        i += 1;
    }
    i
}

/// Checks `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`, RFC 9112
/// §7.1.1: so whitespace is allowed before a `;` and around `=`, and nowhere else.
pub(super) fn check_extensions(ext: &[u8]) -> Result<(), &'static str> {
    let mut i = 0;
    while i < ext.len() {
        i = skip_whitespace(ext, i);
        if ext.get(i) != Some(&b';') {
            return Err("expected ';'");
        }
        i = skip_whitespace(ext, i + 1);
        let name_end = skip_token(ext, i);
        if name_end == i {
            return Err("empty or invalid name");
        }
        i = name_end;
        let equals = skip_whitespace(ext, i);
        if ext.get(equals) == Some(&b'=') {
            let value = skip_whitespace(ext, equals + 1);
            i = if ext.get(value) == Some(&b'"') {
                quoted_string_end(ext, value)?
            } else {
                let value_end = skip_token(ext, value);
                if value_end == value {
                    return Err("empty or invalid value");
                }
                value_end
            };
        }
    }
    Ok(())
}

/// The index just past the quoted-string that starts at `start` (at its `"`).
fn quoted_string_end(bytes: &[u8], start: usize) -> Result<usize, &'static str> {
    let text = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut i = start + 1;
    loop {
        match bytes.get(i) {
            None => return Err("unterminated quoted string"),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match bytes.get(i + 1) {
                Some(&escaped) if text(escaped) => i += 2,
                _ => return Err("invalid escape in quoted string"),
            },
            Some(&b) if text(b) => i += 1,
            Some(_) => return Err("control character in quoted string"),
        }
    }
}

/// Checks `field-name ":" OWS field-value OWS` (RFC 9112 §5): a token, a colon, then no
/// control characters but tabs. A line starting with whitespace (obsolete folding) has
/// no name and is refused.
pub(super) fn check_field_line(line: &[u8]) -> Result<(), &'static str> {
    let name_end = skip_token(line, 0);
    if name_end == 0 {
        return Err("empty or invalid name");
    }
    if line.get(name_end) != Some(&b':') {
        return Err("expected ':' after the name");
    }
    if line[name_end + 1..]
        .iter()
        .any(|&b| b != b'\t' && (b < 0x20 || b == 0x7f))
    {
        return Err("control character");
    }
    Ok(())
}

/// The start of `bytes` as ISO-8859-1, for error messages (every byte is a character).
pub(super) fn latin1(bytes: &[u8]) -> String {
    text::latin1(&bytes[..bytes.len().min(64)])
}
