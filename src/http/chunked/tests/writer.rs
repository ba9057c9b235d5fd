//! The encoder: one chunk per write in one call, short and failed writes, and bodies that
//! round-trip through the encoder and the decoder.

use std::io::{BufReader, IoSlice, Write};

use super::super::writer::*;
use super::*;

/// Records each call it gets, and takes what `write_vectored` offers.
#[derive(Default)]
struct Recorder {
    calls: Vec<Vec<u8>>,
    flushes: usize,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls.push(buf.to_vec());
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls
            .push(bufs.iter().flat_map(|buf| buf.iter().copied()).collect());
        Ok(bufs.iter().map(|buf| buf.len()).sum())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}

#[test]
fn each_write_is_one_chunk_in_one_call() {
    let mut writer = ChunkedWriter::new(Recorder::default());
    assert_eq!(writer.write(b"hello").unwrap(), 5);
    assert_eq!(writer.write(b"").unwrap(), 0);
    writer.write_all(&[b'x'; 26]).unwrap();
    writer.write_all(&vec![b'y'; 4096]).unwrap();
    let recorder = writer.finish().unwrap();
    let mut big = b"1000\r\n".to_vec();
    big.extend(vec![b'y'; 4096]);
    big.extend(b"\r\n");
    assert_eq!(
        recorder.calls,
        [
            b"5\r\nhello\r\n".to_vec(),
            [&b"1a\r\n"[..], &[b'x'; 26], b"\r\n"].concat(),
            big,
            b"0\r\n\r\n".to_vec(),
        ]
    );
    assert_eq!(recorder.flushes, 1);
}

#[test]
fn vectored_writes_are_one_chunk() {
    let mut writer = ChunkedWriter::new(Recorder::default());
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
    assert_eq!(writer.write_vectored(&bufs).unwrap(), 5);
    assert_eq!(writer.write_vectored(&[IoSlice::new(b"")]).unwrap(), 0);
    assert_eq!(writer.write_vectored(&[]).unwrap(), 0);
    assert_eq!(writer.get_ref().calls, [b"5\r\nabcde\r\n".to_vec()]);
}

#[test]
fn an_empty_body_is_the_last_chunk_only() {
    let out = ChunkedWriter::new(Vec::new()).finish().unwrap();
    assert_eq!(out, b"0\r\n\r\n");
}

/// Takes at most 3 bytes per call, and has no `write_vectored` of its own.
struct Trickle(Vec<u8>);

impl Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(3);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn short_writes_still_frame_correctly() {
    let mut writer = ChunkedWriter::new(Trickle(Vec::new()));
    writer.write_all(b"hello world").unwrap();
    writer.write_all(b"!").unwrap();
    let Trickle(out) = writer.finish().unwrap();
    assert_eq!(out, b"b\r\nhello world\r\n1\r\n!\r\n0\r\n\r\n");
}

/// Fails once its budget of bytes is spent.
struct Failing(usize);

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.0);
        self.0 -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_write_breaks_the_body() {
    let mut writer = ChunkedWriter::new(Failing(4));
    assert!(writer.write(b"hello").is_err());
    // Later writes would land in the middle of the cut chunk: they fail.
    writer.inner.0 = usize::MAX;
    assert_eq!(
        writer.write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
    assert!(writer.finish().is_err());
}

/// Bodies written in random pieces decode to themselves, read back in random
/// pieces, with the next request intact after them.
#[test]
fn round_trips() {
    let mut state: u64 = 0x853c_49e6_748f_ea9b;
    let mut next = move || {
        // xorshift64: reproducible without a dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let len = (next() % 3000) as usize;
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut writer = ChunkedWriter::new(Vec::new());
        let mut at = 0;
        while at < len {
            let n = ((next() % 700) as usize).min(len - at);
            writer.write_all(&body[at..at + n]).unwrap();
            at += n;
        }
        let mut wire = writer.finish().unwrap();
        wire.extend_from_slice(b"NEXT");
        let cuts: Vec<usize> = (0..next() % 20)
            .map(|_| (next() as usize) % (wire.len() + 1))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let pieces = Pieces::new(&wire, cuts);
        let capacity = 1 + (next() % 64) as usize;
        let mut reader = ChunkedReader::new(BufReader::with_capacity(capacity, pieces), MAX);
        let mut decoded = Vec::new();
        reader.read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, body);
        let mut rest = Vec::new();
        reader.into_inner().read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"NEXT");
    }
}
