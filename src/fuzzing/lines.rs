//! The line-framing target: the event loop's `LineBuffer` and the blocking `rfile`
//! against a reference split of the whole input into lines.

use std::io::{self, BufRead};

use super::{client, stream_pair, take_byte, Splitter};
use crate::event::LineBuffer;

/// Splits `data` into lines the way every line reader here must: each ends with its
/// `\n`; the last may have none.
pub fn reference_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// What a line reader made of a stream: the whole lines, then either the unfinished
/// rest (`Ok`) or the error that stopped it (its kind).
pub type Lines = (Vec<Vec<u8>>, Result<Vec<u8>, io::ErrorKind>);

/// The event loop's line framing ([`LineBuffer`]) over `data` fed in `pieces`, with
/// `max_line_length`.
pub fn event_loop_lines(pieces: &[&[u8]], max_line_length: usize) -> Lines {
    let mut buffer = LineBuffer::new();
    let mut lines = Vec::new();
    for piece in pieces {
        let fed = buffer.feed(piece, max_line_length, |line| {
            assert!(
                line.len() <= max_line_length.saturating_add(1),
                "a line over the limit"
            );
            assert_eq!(line.iter().position(|&b| b == b'\n'), Some(line.len() - 1));
            lines.push(line.to_vec());
            Ok(())
        });
        if let Err(err) = fed {
            assert_eq!(buffer.buffered(), 0, "the buffer is emptied on an error");
            return (lines, Err(err.kind()));
        }
        assert!(
            buffer.buffered() <= max_line_length,
            "held more than a line"
        );
    }
    (lines, Ok(buffer.take_rest().unwrap_or_default()))
}

/// What [`event_loop_lines`] must give, computed from the whole stream at once.
pub fn expected_event_loop_lines(data: &[u8], max_line_length: usize) -> Lines {
    let mut lines = Vec::new();
    for line in reference_lines(data) {
        let content = line.len() - usize::from(line.ends_with(b"\n"));
        if content > max_line_length {
            return (lines, Err(io::ErrorKind::InvalidData));
        }
        if line.ends_with(b"\n") {
            lines.push(line);
        } else {
            return (lines, Ok(line));
        }
    }
    (lines, Ok(Vec::new()))
}

/// The blocking `rfile` (a [`SocketReader`](crate::SocketReader) with a read buffer of
/// `rbufsize`) reading lines with `read_until`, the client writing `pieces` over a
/// socketpair. Returns the lines, the last without `\n` if the stream ended so.
pub fn rfile_lines(pieces: &[&[u8]], rbufsize: usize) -> Vec<Vec<u8>> {
    let (mut request, socket) = stream_pair(rbufsize, 0);
    let client = client(socket, pieces.iter().map(|p| p.to_vec()).collect());
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        match request.rfile.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => lines.push(line),
            Err(err) => panic!("reading lines from a socketpair failed: {err}"),
        }
    }
    drop(request);
    let _ = client.join();
    lines
}

/// Fuzz target `line_framing`: both line readers, over any cut of the input into reads,
/// give what the whole input gives.
pub fn line_framing(data: &[u8]) {
    let (knob, data) = take_byte(data);
    let (seed, data) = take_byte(data);
    let max_line_length = 1 + usize::from(knob % 64);
    let max_piece = 1 + usize::from(knob >> 6) * 37;
    let pieces = Splitter::new(u64::from(seed)).split(data, max_piece);
    assert_eq!(
        event_loop_lines(&pieces, max_line_length),
        expected_event_loop_lines(data, max_line_length),
        "event loop framing, limit {max_line_length}"
    );
    assert_eq!(
        event_loop_lines(&pieces, usize::MAX),
        expected_event_loop_lines(data, usize::MAX)
    );
    let rbufsize = 1 + usize::from(seed % 16);
    assert_eq!(
        rfile_lines(&pieces, rbufsize),
        reference_lines(data),
        "rfile, rbufsize {rbufsize}"
    );
}
