//! Parsing a complete head with `httparse`, and the answers Python gives where
//! httparse's errors do not say enough (`505` for a well-formed other version).

use super::{Head, Reject};
use crate::http::text::latin1;
use crate::http::{Headers, Version};

/// Parses a complete head (request line, `fields` header lines, blank line).
pub(super) fn parse(raw: &[u8], fields: usize, requestline: &str) -> Result<Head, Reject> {
    let mut storage = vec![httparse::EMPTY_HEADER; fields];
    let mut request = httparse::Request::new(&mut storage);
    match request.parse(raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Reject::new(400, "Incomplete request", Some(requestline)));
        }
        Err(httparse::Error::Version) => return Err(version_reject(requestline)),
        Err(err) => {
            let message = format!("Bad request syntax ({err})");
            return Err(Reject::new(400, message, Some(requestline)));
        }
    }
    let (Some(method), Some(path), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(Reject::new(400, "Bad request syntax", Some(requestline)));
    };
    let version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    let mut headers = Headers::with_capacity(request.headers.len());
    for field in request.headers.iter() {
        headers.push(field.name.to_owned(), latin1(field.value));
    }
    Ok(Head {
        method: method.to_owned(),
        path: collapse_leading_slashes(path),
        version,
        requestline: requestline.to_owned(),
        headers,
    })
}

/// httparse refuses every version but 1.0 and 1.1 with the same error; Python answers a
/// well-formed other version with `505` and anything else with `400`.
fn version_reject(requestline: &str) -> Reject {
    let words: Vec<&str> = requestline.split_ascii_whitespace().collect();
    let [_, _, version] = words[..] else {
        let message = format!("Bad request syntax ({requestline:?})");
        return Reject::new(400, message, Some(requestline));
    };
    let number = version.strip_prefix("HTTP/").unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = match number.split_once('.') {
        Some((major, minor)) => digits(major) && digits(minor),
        None => digits(number),
    };
    if well_formed {
        let message = format!("Invalid HTTP version ({number})");
        Reject::new(505, message, Some(requestline))
    } else {
        let message = format!("Bad request version ({version:?})");
        Reject::new(400, message, Some(requestline))
    }
}

/// `//evil.example/x` would read as a host to a browser following a redirect built from
/// the path; Python collapses the leading slashes (gh-87389), and so does this.
fn collapse_leading_slashes(path: &str) -> String {
    if path.starts_with("//") {
        format!("/{}", path.trim_start_matches('/'))
    } else {
        path.to_owned()
    }
}
