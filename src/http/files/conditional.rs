//! `If-Modified-Since` against a file's modification time ([`is_not_modified`]: answer
//! `304` or not), and the `Last-Modified` value a file is served with
//! ([`last_modified`]), both as Python's `SimpleHTTPRequestHandler.send_head` has them.
//!
//! HTTP dates have whole seconds, so the modification time is compared truncated to the
//! second: a client that got `Last-Modified` for a file changed at `12:00:00.7` and sends
//! it back as `If-Modified-Since: ... 12:00:00 GMT` gets `304`, as it should.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::Headers;

/// The first second `httpdate` cannot format (the year 10000); it panics from there on.
const YEAR_10000: Duration = Duration::from_secs(253_402_300_800);

/// The `Last-Modified` value for a file modified at `mtime`, as an IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`). `None` for a time an HTTP date cannot carry (before
/// 1970 or from the year 10000 on): the header is then left out rather than wrong.
pub(crate) fn last_modified(mtime: SystemTime) -> Option<String> {
    let since_epoch = mtime.duration_since(UNIX_EPOCH).ok()?;
    if since_epoch >= YEAR_10000 {
        return None;
    }
    // This thread's last answer, kept: a file served again has the same time.
    thread_local! {
        static LAST: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let secs = since_epoch.as_secs();
    Some(LAST.with_borrow_mut(|(last, text)| {
        if *last != secs {
            *text = httpdate::fmt_http_date(mtime);
            *last = secs;
        }
        text.clone()
    }))
}

/// Whether a request with these headers gets `304 Not Modified` for a file modified at
/// `mtime`: see [`is_not_modified`].
pub(crate) fn not_modified(headers: &Headers, mtime: SystemTime) -> bool {
    is_not_modified(
        headers.get("If-Modified-Since"),
        headers.get("If-None-Match"),
        mtime,
    )
}

/// Whether the client's copy is current: `If-Modified-Since` is a valid HTTP date at or
/// after `mtime` (truncated to the second). An invalid date is ignored, as Python does,
/// and so is the whole field when `If-None-Match` is present: entity tags take
/// precedence (RFC 9110 §13.2.2), and without tags of its own a server must not claim
/// a match.
pub(crate) fn is_not_modified(
    if_modified_since: Option<&str>,
    if_none_match: Option<&str>,
    mtime: SystemTime,
) -> bool {
    if if_none_match.is_some() {
        return false;
    }
    let Some(since) =
        if_modified_since.and_then(|value| httpdate::parse_http_date(value.trim()).ok())
    else {
        return false;
    };
    // `since` is a whole second, so "mtime truncated to the second <= since" is
    // "mtime < since + 1s", which needs no truncation of times before 1970.
    match since.checked_add(Duration::from_secs(1)) {
        Some(next_second) => mtime < next_second,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's example date.
    const EXAMPLE: u64 = 784_111_777;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    fn not_modified_since(value: &str, mtime: SystemTime) -> bool {
        is_not_modified(Some(value), None, mtime)
    }

    #[test]
    fn last_modified_is_an_imf_fixdate() {
        assert_eq!(
            last_modified(at(EXAMPLE, 0)).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        // The fraction of a second is dropped, not rounded.
        assert_eq!(
            last_modified(at(EXAMPLE, 999)).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(
            last_modified(UNIX_EPOCH).as_deref(),
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        );
    }

    /// Times an HTTP date cannot carry give no header, and no panic.
    #[test]
    fn last_modified_out_of_range() {
        assert_eq!(last_modified(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(last_modified(UNIX_EPOCH - Duration::from_nanos(1)), None);
        assert_eq!(last_modified(UNIX_EPOCH + YEAR_10000), None);
        assert_eq!(
            last_modified(UNIX_EPOCH + YEAR_10000 - Duration::from_secs(1)).as_deref(),
            Some("Fri, 31 Dec 9999 23:59:59 GMT")
        );
    }

    #[test]
    fn at_or_after_the_modification_time_is_304() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert!(not_modified_since(date, at(EXAMPLE, 0)));
        assert!(not_modified_since(date, at(EXAMPLE, 999)));
        assert!(not_modified_since(date, at(EXAMPLE - 1, 0)));
        assert!(not_modified_since(date, at(0, 0)));
        assert!(!not_modified_since(date, at(EXAMPLE + 1, 0)));
        assert!(!not_modified_since(date, at(EXAMPLE + 3600, 0)));
    }

    /// What `Last-Modified` said comes back and matches, whatever the sub-second part.
    #[test]
    fn last_modified_round_trips() {
        for millis in [0, 1, 500, 999] {
            let mtime = at(EXAMPLE, millis);
            let header = last_modified(mtime).unwrap();
            assert!(not_modified_since(&header, mtime), "{millis} ms");
            assert!(!not_modified_since(&header, mtime + Duration::from_secs(1)));
        }
    }

    /// The three formats RFC 9110 §5.6.7 requires recipients to accept.
    #[test]
    fn obsolete_date_formats() {
        let mtime = at(EXAMPLE, 0);
        assert!(not_modified_since("Sunday, 06-Nov-94 08:49:37 GMT", mtime));
        assert!(not_modified_since("Sun Nov  6 08:49:37 1994", mtime));
        assert!(not_modified_since(
            "  Sun, 06 Nov 1994 08:49:37 GMT ",
            mtime
        ));
    }

    #[test]
    fn invalid_dates_are_ignored() {
        let mtime = at(EXAMPLE, 0);
        for value in [
            "",
            "yesterday",
            "0",
            "784111777",
            "Sun, 06 Nov 1994 08:49:37 +0100",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT", // the wrong weekday
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            "Fri, 31 Dec 99999 23:59:59 GMT",
        ] {
            assert!(!not_modified_since(value, mtime), "{value:?}");
        }
        assert!(!is_not_modified(None, None, mtime));
    }

    /// The latest date an HTTP date can say is still compared without overflow.
    #[test]
    fn extreme_dates() {
        let last = "Fri, 31 Dec 9999 23:59:59 GMT";
        assert!(not_modified_since(last, at(EXAMPLE, 0)));
        assert!(not_modified_since(
            last,
            UNIX_EPOCH - Duration::from_secs(10)
        ));
        let first = "Thu, 01 Jan 1970 00:00:00 GMT";
        assert!(not_modified_since(
            first,
            UNIX_EPOCH - Duration::from_secs(10)
        ));
        assert!(not_modified_since(first, at(0, 999)));
        assert!(!not_modified_since(first, at(1, 0)));
    }

    #[test]
    fn if_none_match_takes_precedence() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        let mtime = at(EXAMPLE, 0);
        assert!(!is_not_modified(Some(date), Some("\"abc\""), mtime));
        assert!(!is_not_modified(Some(date), Some("*"), mtime));
        assert!(!is_not_modified(Some(date), Some(""), mtime));
    }

    #[test]
    fn from_request_headers() {
        let mtime = at(EXAMPLE, 0);
        let mut headers = Headers::default();
        assert!(!not_modified(&headers, mtime));
        headers.push(
            "if-modified-since".into(),
            "Sun, 06 Nov 1994 08:49:37 GMT".into(),
        );
        assert!(not_modified(&headers, mtime));
        headers.push("If-None-Match".into(), "\"v1\"".into());
        assert!(!not_modified(&headers, mtime));
    }
}
