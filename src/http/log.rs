//! The access log: one line per response, Python's `log_request` format, through `log`
//! at info level.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use super::text::escape_controls;
use crate::Address;

/// Python's `log_request`: `host - - [date] "request line" code size`.
pub(crate) fn log_request(client: &Address, requestline: &str, code: u16, size: Option<u64>) {
    if !log::log_enabled!(log::Level::Info) {
        return; // nothing to format for a log nobody reads
    }
    let size = size.map_or_else(|| "-".to_owned(), |n| n.to_string());
    log::info!(
        "{} - - [{}] \"{}\" {code} {size}",
        host(client),
        log_date_time_string(SystemTime::now()),
        escape_controls(requestline)
    );
}

/// Python's `log_date_time_string`: the local time as `02/Dec/2026 14:58:16`.
///
/// Formatted once per second per thread: the access log writes a line per request, and
/// `localtime_r` takes the C library's time-zone lock.
fn log_date_time_string(now: SystemTime) -> String {
    thread_local! {
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != secs {
            *last = (secs, format_local_time(secs));
        }
        last.1.clone()
    })
}

fn format_local_time(secs: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = crate::sys::local_time(secs);
    let month = MONTHS[usize::from(t.month.clamp(1, 12)) - 1];
    format!(
        "{:02}/{month}/{:04} {:02}:{:02}:{:02}",
        t.day, t.year, t.hour, t.minute, t.second
    )
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
    match client.as_inet().map(|addr| addr.ip()) {
        Some(std::net::IpAddr::V4(ip)) => dotted_quad(ip),
        Some(ip) => ip.to_string(),
        None => client.to_string(),
    }
}

/// `127.0.0.1` for the log line of every request: std's `Display` goes through the
/// formatter's padding machinery, a few thousand instructions a request.
fn dotted_quad(ip: std::net::Ipv4Addr) -> String {
    let mut text = String::with_capacity(15);
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_written_as_std_writes_them() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.30.40",
            "255.255.255.255",
            "1.100.99.9",
        ] {
            let addr = Address::Inet(format!("{ip}:80").parse().unwrap());
            assert_eq!(host(&addr), ip);
        }
        let v6 = Address::Inet("[::1]:80".parse().unwrap());
        assert_eq!(host(&v6), "::1");
    }

    #[test]
    fn the_date_is_written_as_python_writes_it() {
        let date = log_date_time_string(SystemTime::now());
        // `DD/Mon/YYYY HH:MM:SS`, e.g. `02/Dec/2026 14:58:16`.
        let bytes = date.as_bytes();
        assert_eq!(bytes.len(), 20, "{date}");
        assert_eq!(
            (bytes[2], bytes[6], bytes[11]),
            (b'/', b'/', b' '),
            "{date}"
        );
        assert_eq!((bytes[14], bytes[17]), (b':', b':'), "{date}");
        let digits = [0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19];
        assert!(digits.iter().all(|&i| bytes[i].is_ascii_digit()), "{date}");
        assert!(
            date[3..6].chars().all(|c| c.is_ascii_alphabetic()),
            "{date}"
        );
    }
}
