//! The `multipart/x-mixed-replace` stream that `MultipartWriter` and the MJPEG example
//! serve, read as a viewer does, and what is particular to the MJPEG example.

use std::io::{self, BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};

use super::http::{read_head, Client};

/// Sends `request` (a stream's `GET`) on a fresh connection and reads the response's
/// head, which must be `200`; the reader is then at the first part.
pub fn watch(addr: SocketAddr, request: &[u8]) -> BufReader<TcpStream> {
    let mut client = Client::connect(addr);
    client.send(request);
    assert_eq!(read_head(&mut client.reader).unwrap().status, 200);
    client.reader
}

/// One part of a `multipart/x-mixed-replace` body.
#[derive(Debug)]
pub struct Part {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Reads the next part: the `--boundary` line, the part's headers, `Content-Length`
/// bytes and the line ending after them.
pub fn read_part(reader: &mut impl BufRead, boundary: &str) -> io::Result<Part> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    assert_eq!(
        String::from_utf8_lossy(&line),
        format!("--{boundary}\r\n"),
        "boundary line"
    );
    let mut raw = Vec::new();
    loop {
        let start = raw.len();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if raw[start..] == *b"\r\n" {
            break;
        }
    }
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let Ok(httparse::Status::Complete((_, fields))) = httparse::parse_headers(&raw, &mut fields)
    else {
        panic!("bad part headers {:?}", String::from_utf8_lossy(&raw));
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| String::from_utf8_lossy(f.value).into_owned())
            .unwrap_or_else(|| panic!("part without {name}"))
    };
    let mut body = vec![0; field("Content-Length").parse().expect("numeric length")];
    reader.read_exact(&mut body)?;
    let mut end = [0; 2];
    reader.read_exact(&mut end)?;
    assert_eq!(&end, b"\r\n", "line ending after a part");
    Ok(Part {
        content_type: field("Content-Type"),
        body,
    })
}

/// Whether `bytes` is a complete JPEG: SOI marker first, EOI marker last.
pub fn is_complete_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8]) && bytes.ends_with(&[0xff, 0xd9])
}
