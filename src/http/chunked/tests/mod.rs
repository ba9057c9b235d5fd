//! Tests of the chunked coding: bodies cut at every byte, malformed and oversized ones.
//!
//! The helpers every test file uses are here: a reader that hands out its bytes in
//! pieces, and decoding with and without a limit. `valid` decodes good bodies however
//! they arrive, `malformed` refuses bad and oversized ones, `writer` checks the encoder
//! and round trips through both.

use std::io::{self, Read};

use super::reader::*;
use crate::http::text::latin1;

mod malformed;
mod valid;
mod writer;

/// Hands out its bytes in pieces: up to the next cut per read, or one byte per read.
/// With `stall`, every read that starts a new piece first fails with `WouldBlock`
/// (a read timeout), once.
struct Pieces {
    data: Vec<u8>,
    pos: usize,
    cuts: Vec<usize>,
    stall: bool,
    stalled_at: Option<usize>,
}

impl Pieces {
    fn new(data: &[u8], cuts: Vec<usize>) -> Self {
        Pieces {
            data: data.to_vec(),
            pos: 0,
            cuts,
            stall: false,
            stalled_at: None,
        }
    }

    fn bytewise(data: &[u8]) -> Self {
        Pieces::new(data, (1..data.len()).collect())
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stall && self.pos > 0 && self.stalled_at != Some(self.pos) {
            self.stalled_at = Some(self.pos);
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let next_cut = self
            .cuts
            .iter()
            .copied()
            .find(|&cut| cut > self.pos)
            .unwrap_or(self.data.len());
        let n = buf.len().min(next_cut - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

const MAX: u64 = 1 << 20;

fn decode(input: &[u8]) -> io::Result<Vec<u8>> {
    decode_with_limit(input, MAX)
}

fn decode_with_limit(input: &[u8], max: u64) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    ChunkedReader::new(input, max).read_to_end(&mut body)?;
    Ok(body)
}

/// The error `input` is refused with; panics if it decodes.
fn refused(input: &[u8]) -> io::Error {
    match decode(input) {
        Ok(body) => panic!("{:?} decoded to {:?}", latin1(input), latin1(&body)),
        Err(err) => err,
    }
}

fn assert_invalid(input: &[u8]) {
    let err = refused(input);
    assert_eq!(
        err.kind(),
        io::ErrorKind::InvalidData,
        "{:?}: {err}",
        latin1(input)
    );
}
