//! Valid bodies decode to what they carry, however the input is cut into reads, through
//! read timeouts, and leaving the next request unread.

use std::io::BufReader;

use super::*;

/// Valid bodies, with what they decode to.
const VALID: [(&[u8], &[u8]); 12] = [
    (b"0\r\n\r\n", b""),
    (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
    (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
    (b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", b"abc"),
    (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
    (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
    (
        b"000000000000000a\r\n0123456789\r\n0000\r\n\r\n",
        b"0123456789",
    ),
    (b"3\r\n\r\n\r\r\n0\r\n\r\n", b"\r\n\r"),
    (b"5;name=value\r\nhello\r\n0;last\r\n\r\n", b"hello"),
    (
        b"5 ; a = b ;c;d=\"q \\\" \\\\ ;x\"\r\nhello\r\n0\r\n\r\n",
        b"hello",
    ),
    (
        b"5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum:\tabc \r\n\r\n",
        b"hello",
    ),
    (b"2\r\n\x00\xff\r\n0\r\nEmpty:\r\n\r\n", b"\x00\xff"),
];

#[test]
fn valid_bodies() {
    for (input, body) in VALID {
        assert_eq!(decode(input).unwrap(), body, "{:?}", latin1(input));
    }
}

/// The same bodies with the input split in two at every byte, then one byte at a
/// time, and read into buffers of 1 byte and of 64.
#[test]
fn valid_bodies_split_anywhere() {
    for (input, body) in VALID {
        let mut splits: Vec<Pieces> = (0..=input.len())
            .map(|cut| Pieces::new(input, vec![cut]))
            .collect();
        splits.push(Pieces::bytewise(input));
        for pieces in splits {
            let cuts = pieces.cuts.clone();
            for (capacity, chunk) in [(1, 1), (3, 64), (8192, 1), (8192, 64)] {
                let pieces = Pieces::new(input, cuts.clone());
                let mut reader =
                    ChunkedReader::new(BufReader::with_capacity(capacity, pieces), MAX);
                let mut decoded = Vec::new();
                let mut buf = vec![0; chunk];
                loop {
                    match reader.read(&mut buf).unwrap() {
                        0 => break,
                        n => decoded.extend_from_slice(&buf[..n]),
                    }
                }
                assert_eq!(decoded, body, "{:?} cut at {cuts:?}", latin1(input));
                assert!(reader.is_done());
            }
        }
    }
}

/// A read timeout at any point is passed on and loses nothing: reading again goes on.
#[test]
fn inner_errors_are_resumable() {
    for (input, body) in VALID {
        let mut pieces = Pieces::bytewise(input);
        pieces.stall = true;
        let mut reader = ChunkedReader::new(BufReader::with_capacity(1, pieces), MAX);
        let mut decoded = Vec::new();
        let mut buf = [0; 4];
        let mut stalls = 0;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => decoded.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => stalls += 1,
                Err(err) => panic!("{:?}: {err}", latin1(input)),
            }
        }
        assert_eq!(decoded, body, "{:?}", latin1(input));
        assert_eq!(stalls, input.len() - 1);
    }
}

/// The bytes after the body (the next request on a keep-alive connection) are left
/// in the inner reader, however the input arrives.
#[test]
fn the_next_request_is_left_unread() {
    let next = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    for (body_input, body) in VALID {
        let input = [body_input, &next[..]].concat();
        for pieces in [Pieces::new(&input, vec![]), Pieces::bytewise(&input)] {
            let mut reader = ChunkedReader::new(BufReader::new(pieces), MAX);
            let mut decoded = Vec::new();
            reader.read_to_end(&mut decoded).unwrap();
            assert_eq!(decoded, body);
            // Reading at the end again reads nothing more.
            assert_eq!(reader.read(&mut [0; 16]).unwrap(), 0);
            let mut rest = Vec::new();
            reader.into_inner().read_to_end(&mut rest).unwrap();
            assert_eq!(rest, next, "after {:?}", latin1(body_input));
        }
    }
}

/// A zero-length read buffer reads nothing and changes nothing.
#[test]
fn empty_reads() {
    let mut reader = ChunkedReader::new(&b"3\r\nabc\r\n0\r\n\r\n"[..], MAX);
    assert_eq!(reader.read(&mut []).unwrap(), 0);
    let mut body = Vec::new();
    reader.read_to_end(&mut body).unwrap();
    assert_eq!(body, b"abc");
}
