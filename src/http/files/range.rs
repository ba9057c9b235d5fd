//! `Range: bytes=...` against a file of known size (RFC 9110 §14): which bytes to send
//! ([`ByteRange::parse`]), with which status, and the `Content-Range` that says so.
//! Python's `http.server` has no ranges; this is what lets a browser seek in a video or
//! a download resume.
//!
//! A server may always ignore `Range` and send the whole file (RFC 9110 §14.2), so every
//! value this does not fully understand is ignored: a malformed one, another unit, and a
//! request for several ranges (`bytes=0-1,5-6`), which would need a
//! `multipart/byteranges` body that no browser needs for seeking or resuming.

/// The part of a file a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteRange {
    /// The whole file, `200`: no `Range`, or one that is ignored.
    Full,
    /// Bytes `start..=end` of the file, `206`, with `Content-Range: bytes START-END/SIZE`.
    /// Always `start <= end < size`.
    Partial {
        /// The first byte sent.
        start: u64,
        /// The last byte sent (inclusive, as in `Content-Range`).
        end: u64,
    },
    /// No byte of the file is in the range, `416`, with `Content-Range: bytes */SIZE`:
    /// it starts at or past the end (`bytes=5-` of a 5-byte file), or asks for the last
    /// zero bytes (`bytes=-0`).
    NotSatisfiable,
}

impl ByteRange {
    /// What the `Range` header value `header` (`None` when absent) asks of a file of
    /// `size` bytes.
    ///
    /// `bytes=A-B` is bytes A to B, B clamped to the last byte; `bytes=A-` is from A to
    /// the end; `bytes=-N` is the last N bytes, the whole file when it is shorter (still
    /// `206`). The unit is matched without regard to case. Ignored, so [`Full`](Self::Full):
    /// B before A, signs, spaces inside a range, numbers too large for `u64`, other units,
    /// more than one range. A file of zero bytes has no range to send: a suffix range
    /// (`bytes=-5`) gets the (empty) whole file, any other is not satisfiable.
    pub(crate) fn parse(header: Option<&str>, size: u64) -> ByteRange {
        header
            .and_then(|value| parse_single(value, size))
            .unwrap_or(ByteRange::Full)
    }

    /// The status to answer with: `200`, `206` or `416`.
    pub(crate) fn status(&self) -> u16 {
        match self {
            ByteRange::Full => 200,
            ByteRange::Partial { .. } => 206,
            ByteRange::NotSatisfiable => 416,
        }
    }

    /// The `Content-Range` value for a file of `size` bytes, `None` for the whole file.
    pub(crate) fn content_range(&self, size: u64) -> Option<String> {
        match self {
            ByteRange::Full => None,
            ByteRange::Partial { start, end } => Some(format!("bytes {start}-{end}/{size}")),
            ByteRange::NotSatisfiable => Some(format!("bytes */{size}")),
        }
    }

    /// How many bytes of a file of `size` bytes the body carries (its `Content-Length`);
    /// `0` for `416`, whose short explanation page is the caller's.
    pub(crate) fn body_len(&self, size: u64) -> u64 {
        match self {
            ByteRange::Full => size,
            ByteRange::Partial { start, end } => end - start + 1,
            ByteRange::NotSatisfiable => 0,
        }
    }
}

/// The range of a `bytes=` value with exactly one range in it; `None` when it is to be
/// ignored.
fn parse_single(value: &str, size: u64) -> Option<ByteRange> {
    let (unit, set) = value.trim().split_once('=')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    // A list may have empty elements and spaces around its commas (RFC 9110 §5.6.1).
    let mut specs = set
        .split(',')
        .map(str::trim)
        .filter(|spec| !spec.is_empty());
    let spec = specs.next()?;
    if specs.next().is_some() {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let last_byte = size.checked_sub(1);
    Some(match (first, last) {
        ("", suffix) => {
            let length = number(suffix)?;
            match last_byte {
                _ if length == 0 => ByteRange::NotSatisfiable,
                None => ByteRange::Full,
                Some(end) => ByteRange::Partial {
                    start: size.saturating_sub(length),
                    end,
                },
            }
        }
        (first, last) => {
            let start = number(first)?;
            let end = if last.is_empty() {
                u64::MAX
            } else {
                number(last)?
            };
            if end < start {
                return None;
            }
            match last_byte {
                Some(last_byte) if start <= last_byte => ByteRange::Partial {
                    start,
                    end: end.min(last_byte),
                },
                _ => ByteRange::NotSatisfiable,
            }
        }
    })
}

/// A decimal number of ASCII digits only: `u64::from_str` would also take a `+`.
fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str, size: u64) -> ByteRange {
        ByteRange::parse(Some(value), size)
    }

    fn partial(start: u64, end: u64) -> ByteRange {
        ByteRange::Partial { start, end }
    }

    #[test]
    fn no_header_is_the_whole_file() {
        assert_eq!(ByteRange::parse(None, 10), ByteRange::Full);
        assert_eq!(ByteRange::Full.status(), 200);
        assert_eq!(ByteRange::Full.content_range(10), None);
        assert_eq!(ByteRange::Full.body_len(10), 10);
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(parse("bytes=0-4", 10), partial(0, 4));
        assert_eq!(parse("bytes=3-3", 10), partial(3, 3));
        assert_eq!(parse("bytes=5-", 10), partial(5, 9));
        assert_eq!(parse("bytes=-3", 10), partial(7, 9));
        assert_eq!(parse("bytes=0-", 10), partial(0, 9));
        assert_eq!(parse("bytes=9-9", 10), partial(9, 9));
    }

    #[test]
    fn headers_of_a_partial_response() {
        let range = parse("bytes=2-5", 10);
        assert_eq!(range.status(), 206);
        assert_eq!(range.content_range(10).as_deref(), Some("bytes 2-5/10"));
        assert_eq!(range.body_len(10), 4);
    }

    #[test]
    fn the_end_is_clamped_and_a_long_suffix_is_the_whole_file() {
        assert_eq!(parse("bytes=5-100", 10), partial(5, 9));
        assert_eq!(parse("bytes=0-18446744073709551615", 10), partial(0, 9));
        assert_eq!(parse("bytes=-10", 10), partial(0, 9));
        assert_eq!(parse("bytes=-1000", 10), partial(0, 9));
        assert_eq!(parse("bytes=-18446744073709551615", 10), partial(0, 9));
    }

    #[test]
    fn not_satisfiable() {
        for value in [
            "bytes=10-",
            "bytes=10-20",
            "bytes=11-",
            "bytes=-0",
            "bytes=-00",
        ] {
            let range = parse(value, 10);
            assert_eq!(range, ByteRange::NotSatisfiable, "{value}");
            assert_eq!(range.status(), 416);
            assert_eq!(range.content_range(10).as_deref(), Some("bytes */10"));
            assert_eq!(range.body_len(10), 0);
        }
        assert_eq!(
            parse("bytes=18446744073709551615-", 10),
            ByteRange::NotSatisfiable
        );
    }

    #[test]
    fn an_empty_file() {
        assert_eq!(parse("bytes=0-", 0), ByteRange::NotSatisfiable);
        assert_eq!(parse("bytes=0-0", 0), ByteRange::NotSatisfiable);
        assert_eq!(parse("bytes=-0", 0), ByteRange::NotSatisfiable);
        assert_eq!(parse("bytes=-5", 0), ByteRange::Full);
        assert_eq!(
            ByteRange::NotSatisfiable.content_range(0).as_deref(),
            Some("bytes */0")
        );
    }

    #[test]
    fn malformed_values_are_ignored() {
        for value in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=5-2",
            "bytes=abc",
            "bytes=a-b",
            "bytes=1-b",
            "bytes=0x1-2",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=--1",
            "bytes=-1-2",
            "bytes=1--2",
            "bytes=1.5-2",
            "bytes=0 - 1",
            "bytes=0- 1",
            "bytes =0-1",
            "bytes= =0-1",
            "items=0-1",
            "bits=0-1",
            "bytes:0-1",
            "0-1",
            "bytes=18446744073709551616-",
            "bytes=0-18446744073709551616",
            "bytes=-18446744073709551616",
            "bytes=99999999999999999999999999-",
            "bytes=١-٢", // Arabic-Indic digits are digits to Unicode, not to HTTP
            "bytes=,",
        ] {
            assert_eq!(parse(value, 10), ByteRange::Full, "{value:?}");
        }
    }

    #[test]
    fn unit_case_and_list_syntax() {
        assert_eq!(parse("Bytes=1-2", 10), partial(1, 2));
        assert_eq!(parse("BYTES=1-2", 10), partial(1, 2));
        assert_eq!(parse("  bytes=1-2  ", 10), partial(1, 2));
        assert_eq!(parse("bytes= 1-2 ", 10), partial(1, 2));
        assert_eq!(parse("bytes=1-2,", 10), partial(1, 2));
        assert_eq!(parse("bytes=, ,1-2", 10), partial(1, 2));
        assert_eq!(parse("bytes=007-008", 10), partial(7, 8));
    }

    /// Several ranges are ignored: the whole file, `200`.
    #[test]
    fn several_ranges_are_the_whole_file() {
        for value in [
            "bytes=0-1,5-6",
            "bytes=0-1, 5-6",
            "bytes=-1,0-0",
            "bytes=0-1,0-1",
            "bytes=20-30,40-50",
        ] {
            assert_eq!(parse(value, 10), ByteRange::Full, "{value:?}");
        }
    }

    /// What a range means, written out byte by byte: the bytes of `0..size` that the
    /// spec selects, following RFC 9110 §14.1.2 directly.
    fn model(first: Option<u64>, last: Option<u64>, size: u64) -> ByteRange {
        let selected: Vec<u64> = match (first, last) {
            (Some(a), Some(b)) if b < a => return ByteRange::Full,
            (Some(a), last) => (0..size)
                .filter(|&i| i >= a && last.is_none_or(|b| i <= b))
                .collect(),
            (None, Some(n)) => {
                if n > 0 && size == 0 {
                    return ByteRange::Full;
                }
                (0..size).filter(|&i| i + n >= size).collect()
            }
            (None, None) => unreachable!(),
        };
        match (selected.first(), selected.last()) {
            (Some(&start), Some(&end)) => ByteRange::Partial { start, end },
            _ => ByteRange::NotSatisfiable,
        }
    }

    #[test]
    fn every_small_range_against_every_small_size() {
        for size in 0..=40u64 {
            for a in 0..=45u64 {
                for b in 0..=45u64 {
                    let range = parse(&format!("bytes={a}-{b}"), size);
                    assert_eq!(range, model(Some(a), Some(b), size), "{a}-{b} of {size}");
                    check_invariants(range, size);
                }
                let range = parse(&format!("bytes={a}-"), size);
                assert_eq!(range, model(Some(a), None, size), "{a}- of {size}");
                check_invariants(range, size);
                let range = parse(&format!("bytes=-{a}"), size);
                assert_eq!(range, model(None, Some(a), size), "-{a} of {size}");
                check_invariants(range, size);
            }
        }
    }

    /// Sizes near the top of `u64`, where `end + 1` or `size - n` could overflow.
    #[test]
    fn huge_sizes_do_not_overflow() {
        let max = u64::MAX;
        assert_eq!(parse("bytes=0-", max), partial(0, max - 1));
        assert_eq!(parse("bytes=-1", max), partial(max - 1, max - 1));
        assert_eq!(parse(&format!("bytes=-{max}"), max), partial(0, max - 1));
        assert_eq!(
            parse(&format!("bytes={}-", max - 1), max),
            partial(max - 1, max - 1)
        );
        assert_eq!(
            parse(&format!("bytes={max}-"), max),
            ByteRange::NotSatisfiable
        );
        for range in [partial(0, max - 1), partial(max - 1, max - 1)] {
            check_invariants(range, max);
        }
    }

    fn check_invariants(range: ByteRange, size: u64) {
        match range {
            ByteRange::Partial { start, end } => {
                assert!(start <= end && end < size, "{range:?} of {size}");
                assert_eq!(range.body_len(size), end - start + 1);
                assert_eq!(
                    range.content_range(size),
                    Some(format!("bytes {start}-{end}/{size}"))
                );
            }
            ByteRange::NotSatisfiable => assert_eq!(range.body_len(size), 0),
            ByteRange::Full => assert_eq!(range.body_len(size), size),
        }
    }
}
