//! Error responses: Python's `send_error` page, and the answer to a request refused
//! before any handler saw it (too long, malformed, an unsupported version).

use super::exchange::Exchange;
use super::head::Reject;
use super::log::{log_error, log_request};
use super::status::{explanation, status_phrase};
use super::text::{escape_html, push_field, status_head};

/// Python's `error_content_type`.
pub(crate) const ERROR_CONTENT_TYPE: &str = "text/html;charset=utf-8";

/// Python's `DEFAULT_ERROR_MESSAGE`, filled in.
pub(crate) fn error_page(code: u16, message: &str) -> String {
    let explain = explanation(code).unwrap_or(status_phrase(code));
    format!(
        "<!DOCTYPE HTML>\n\
         <html lang=\"en\">\n\
         \x20   <head>\n\
         \x20       <meta charset=\"utf-8\">\n\
         \x20       <title>Error response</title>\n\
         \x20   </head>\n\
         \x20   <body>\n\
         \x20       <h1>Error response</h1>\n\
         \x20       <p>Error code: {code}</p>\n\
         \x20       <p>Message: {}.</p>\n\
         \x20       <p>Error code explanation: {code} - {}.</p>\n\
         \x20   </body>\n\
         </html>\n",
        escape_html(message),
        escape_html(explain),
    )
}

/// Whether a status gets a page: not `1xx`, `204`, `205` or `304`.
pub(crate) fn has_page(code: u16) -> bool {
    code >= 200 && code != 204 && code != 205 && code != 304
}

/// Answers a request refused before a handler saw it, and logs it as `send_error` does.
pub(crate) fn answer_reject(stream: &mut dyn Exchange, reject: &Reject, server_version: &str) {
    let client = &stream.client_address().clone();
    log_error(client, reject.status, &reject.message);
    let page = error_page(reject.status, &reject.message);
    log_request(
        client,
        reject.requestline.as_deref().unwrap_or("-"),
        reject.status,
        Some(page.len() as u64),
    );
    let mut response = Vec::with_capacity(page.len() + 256);
    status_head(
        &mut response,
        reject.status,
        status_phrase(reject.status),
        server_version,
    );
    push_field(&mut response, "Connection", "close");
    push_field(&mut response, "Content-Type", ERROR_CONTENT_TYPE);
    push_field(&mut response, "Content-Length", &page.len().to_string());
    response.extend_from_slice(b"\r\n");
    response.extend_from_slice(page.as_bytes());
    let wfile = stream.wfile();
    let sent = wfile.write_all(&response).and_then(|()| wfile.flush());
    if let Err(err) = sent {
        log::debug!("{client}: could not send {}: {err}", reject.status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_escapes_the_message() {
        let page = error_page(404, "<script>alert('x')</script>");
        assert!(page.contains("<p>Error code: 404</p>"));
        assert!(page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"));
        assert!(page.contains("404 - Nothing matches the given URI."));
    }
}
