//! Malformed and oversized bodies are refused: bad sizes, bare LFs, missing CRLFs, bad
//! extensions and trailers, their bounds, truncation and the decoded size limit; errors
//! are final and say what is wrong.

use std::io::BufReader;

use super::*;

#[test]
fn bad_chunk_sizes() {
    for input in [
        &b"\r\n"[..],
        b"g\r\n",
        b"x5\r\nhello\r\n0\r\n\r\n",
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"-5\r\nhello\r\n0\r\n\r\n",
        b" 5\r\nhello\r\n0\r\n\r\n",
        b"\t5\r\nhello\r\n0\r\n\r\n",
        b"5 \r\nhello\r\n0\r\n\r\n",
        b"5\t\r\nhello\r\n0\r\n\r\n",
        b"5 5\r\nhello\r\n0\r\n\r\n",
        b"5\r\r\nhello\r\n0\r\n\r\n",
        b"5\x00\r\nhello\r\n0\r\n\r\n",
        b"\xef\xbc\x95\r\nhello\r\n0\r\n\r\n", // a fullwidth 5
        b"00000000000000005\r\nhello\r\n0\r\n\r\n", // 17 digits
        b"10000000000000000\r\n",              // 2^64
        b"ffffffffffffffffff\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn line_endings_are_crlf_only() {
    for input in [
        &b"5\nhello\r\n0\r\n\r\n"[..],
        b"5\r\nhello\n0\r\n\r\n",
        b"5\r\nhello\r0\r\n\r\n",
        b"5\r\nhello\r\n0\n\r\n",
        b"5\r\nhello\r\n0\r\n\n",
        b"5\r\nhello\r\n0\r\nX: y\n\r\n",
    ] {
        assert_invalid(input);
    }
}

/// Data longer than its size: the bytes where CRLF should be are refused, not
/// taken as the next chunk.
#[test]
fn chunk_data_must_end_with_crlf() {
    for input in [
        &b"5\r\nhelloX\r\n0\r\n\r\n"[..],
        b"5\r\nhello world\r\n0\r\n\r\n",
        b"3\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello\r\r\n0\r\n\r\n",
        b"5\r\nhello0\r\n\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn bad_extensions() {
    for input in [
        &b"5;\r\nhello\r\n0\r\n\r\n"[..],
        b"5; \r\nhello\r\n0\r\n\r\n",
        b"5;a \r\nhello\r\n0\r\n\r\n",
        b"5;=x\r\nhello\r\n0\r\n\r\n",
        b"5;a=\r\nhello\r\n0\r\n\r\n",
        b"5;a b\r\nhello\r\n0\r\n\r\n",
        b"5;a=b c\r\nhello\r\n0\r\n\r\n",
        b"5;a=b;\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"open\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"x\"y\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n",
        b"5;a=\"x\\\x01\"\r\nhello\r\n0\r\n\r\n",
        b"5;a\x01\r\nhello\r\n0\r\n\r\n",
        b"5;a=b\rc\r\nhello\r\n0\r\n\r\n",
        b"5;(a)\r\nhello\r\n0\r\n\r\n",
        b"5g;b\r\nhello\r\n0\r\n\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn extensions_are_bounded() {
    // One line over the line limit.
    let long = format!("5;{}\r\nhello\r\n0\r\n\r\n", "a".repeat(MAX_SIZE_LINE));
    assert_invalid(long.as_bytes());
    // Just under it is fine.
    let ext = "a".repeat(MAX_SIZE_LINE - 5);
    let fits = format!("5;{ext}\r\nhello\r\n0\r\n\r\n");
    assert_eq!(decode(fits.as_bytes()).unwrap(), b"hello");
    // Many lines that each fit, over the limit for the whole body.
    let chunk = format!("1;{}\r\nx\r\n", "e".repeat(3000));
    let many = format!("{}0\r\n\r\n", chunk.repeat(6));
    assert_invalid(many.as_bytes());
    let few = format!("{}0\r\n\r\n", chunk.repeat(5));
    assert_eq!(decode(few.as_bytes()).unwrap(), b"xxxxx");
}

#[test]
fn bad_trailers() {
    for input in [
        &b"0\r\nno colon\r\n\r\n"[..],
        b"0\r\n: no name\r\n\r\n",
        b"0\r\nBad Name: v\r\n\r\n",
        b"0\r\nName : v\r\n\r\n",
        b"0\r\nX: a\r\n folded\r\n\r\n",
        b"0\r\n\tX: a\r\n\r\n",
        b"0\r\nX: a\x00b\r\n\r\n",
        b"0\r\nX: a\rb\r\n\r\n",
    ] {
        assert_invalid(input);
    }
}

#[test]
fn trailers_are_bounded() {
    let field = format!("X-Pad: {}\r\n", "p".repeat(1000));
    let fits = format!("0\r\n{}\r\n", field.repeat(MAX_TRAILER_BYTES / field.len()));
    assert_eq!(decode(fits.as_bytes()).unwrap(), b"");
    let over = format!(
        "0\r\n{}\r\n",
        field.repeat(MAX_TRAILER_BYTES / field.len() + 1)
    );
    assert_invalid(over.as_bytes());
    let one_long = format!("0\r\nX: {}\r\n\r\n", "v".repeat(MAX_TRAILER_BYTES));
    assert_invalid(one_long.as_bytes());
    // An endless trailer line is refused without reading it all.
    let endless = io::Read::chain(&b"0\r\nX: "[..], io::repeat(b'v'));
    let mut body = Vec::new();
    let err = ChunkedReader::new(BufReader::new(endless), MAX)
        .read_to_end(&mut body)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn truncated_bodies() {
    for input in [
        &b""[..],
        b"5",
        b"5\r",
        b"5\r\n",
        b"5\r\nhel",
        b"5\r\nhello",
        b"5\r\nhello\r",
        b"5\r\nhello\r\n",
        b"5\r\nhello\r\n0",
        b"5\r\nhello\r\n0\r\n",
        b"5\r\nhello\r\n0\r\nX: y\r\n",
        b"5\r\nhello\r\n0\r\n\r",
    ] {
        let err = refused(input);
        assert_eq!(
            err.kind(),
            io::ErrorKind::UnexpectedEof,
            "{:?}",
            latin1(input)
        );
    }
    let err = decode_with_limit(b"ffffffffffffffff\r\nabc", u64::MAX).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn the_decoded_size_limit() {
    let input = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
    assert_eq!(decode_with_limit(input, 10).unwrap(), b"helloworld");
    let mut reader = ChunkedReader::new(&input[..], 9);
    let mut buf = [0; 64];
    // The first chunk fits and is returned; the second is refused before it is read.
    assert_eq!(reader.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    assert!(err.to_string().contains("larger than 9 bytes"), "{err}");
    assert_eq!(reader.decoded(), 5);
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    // A size that would overflow the running total is over any limit.
    let huge = b"1\r\nx\r\nffffffffffffffff\r\n";
    let err = decode_with_limit(huge, u64::MAX).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    // A limit of zero takes only the empty body.
    assert_eq!(decode_with_limit(b"0\r\n\r\n", 0).unwrap(), b"");
    let err = decode_with_limit(b"1\r\nx\r\n0\r\n\r\n", 0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
}

#[test]
fn errors_are_final() {
    let mut reader = ChunkedReader::new(&b"5\r\nhelloX\r\n0\r\n\r\n"[..], MAX);
    let mut body = Vec::new();
    let err = reader.read_to_end(&mut body).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("not followed by CRLF"), "{err}");
    let err = reader.read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(!reader.is_done());
}

#[test]
fn messages_say_what_is_wrong() {
    let message = |input: &[u8]| refused(input).to_string();
    assert!(message(b"zz\r\n").contains("not a hex number"));
    assert!(message(b"5\nhello").contains("bare LF"));
    assert!(message(b"00000000000000005\r\n").contains("more than 16 hex digits"));
    assert!(message(b"5;a b\r\n").contains("chunk extension"));
    assert!(message(b"0\r\nnope\r\n\r\n").contains("trailer field"));
}
