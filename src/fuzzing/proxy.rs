//! The PROXY header target: the parser on the input and on every prefix of it.

use super::Address;

/// Fuzz target `proxy_header`: the PROXY header parser on the input and on every prefix
/// of it. A header is never longer than its input or the maximum; every prefix of a
/// header is `Incomplete` (so a reader may wait for more) and parsing only the header's
/// bytes gives the same header.
pub fn proxy_header(data: &[u8]) {
    use crate::proxy::{parse, Parsed, MAX_HEADER_LEN};
    let peer = Address::Inet(([127, 0, 0, 1], 9).into());
    match parse(data, &peer) {
        Parsed::Incomplete => {
            assert!(data.len() < MAX_HEADER_LEN, "incomplete past the maximum");
        }
        Parsed::Invalid(why) => assert!(!why.is_empty()),
        Parsed::Header { len, header } => {
            assert!(len <= data.len() && len <= MAX_HEADER_LEN, "length {len}");
            assert!(header.version == 1 || header.version == 2);
            match parse(&data[..len], &peer) {
                Parsed::Header {
                    len: again,
                    header: same,
                } => {
                    assert_eq!(again, len);
                    assert_eq!(format!("{same:?}"), format!("{header:?}"));
                }
                other => panic!("the header's own bytes parse as {other:?}"),
            }
            for cut in 0..len {
                let prefix = parse(&data[..cut], &peer);
                assert!(
                    matches!(prefix, Parsed::Incomplete),
                    "prefix of {cut} of a {len}-byte header: {prefix:?}"
                );
            }
        }
    }
}
