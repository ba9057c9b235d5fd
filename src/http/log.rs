//! The access log: one line per response, Python's `log_request` format, through `log`
//! at info level.

use std::time::SystemTime;

use super::text::escape_controls;
use crate::Address;

/// Python's `log_request`: `host - - [date] "request line" code size`.
pub(crate) fn log_request(client: &Address, requestline: &str, code: u16, size: Option<u64>) {
    let size = size.map_or_else(|| "-".to_owned(), |n| n.to_string());
    log::info!(
        "{} - - [{}] \"{}\" {code} {size}",
        host(client),
        httpdate::fmt_http_date(SystemTime::now()),
        escape_controls(requestline)
    );
}

/// Python's `log_error`, for `send_error`: `host - - code N, message M`.
pub(crate) fn log_error(client: &Address, code: u16, message: &str) {
    log::info!(
        "{} - - code {code}, message {}",
        host(client),
        escape_controls(message)
    );
}

/// Python's `address_string`: the client's host without the port.
pub(crate) fn host(client: &Address) -> String {
    match client.as_inet() {
        Some(addr) => addr.ip().to_string(),
        None => client.to_string(),
    }
}
