//! [`LineBuffer`]: cutting lines out of a byte stream that arrives in pieces, with a
//! maximum line length.
//!
//! The event loop reads into one buffer shared by every connection, so a line split across
//! two reads has to be kept somewhere: only that unfinished tail is copied here. Whole
//! lines are handed out as slices of the data just read, without a copy, and an empty
//! buffer owns no memory, so an idle connection costs nothing here.

use std::{io, mem};

/// The unfinished last line of a connection's input.
///
/// [`EventHandler`](super::EventHandler)'s default `on_data` uses one per connection to
/// call `on_line`; use one yourself when you write `on_data` for a protocol that mixes
/// lines and raw bytes.
///
/// ```
/// use socketserver::event::LineBuffer;
///
/// let mut lines = LineBuffer::new();
/// let mut seen = Vec::new();
/// for piece in [&b"hel"[..], b"lo\r\nwor", b"ld\n\n"] {
///     lines.feed(piece, 1024, |line| {
///         seen.push(line.to_vec());
///         Ok(())
///     })?;
/// }
/// assert_eq!(seen, [&b"hello\r\n"[..], b"world\n", b"\n"]);
/// assert_eq!(lines.buffered(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct LineBuffer {
    partial: Vec<u8>,
}

impl LineBuffer {
    /// An empty buffer (it allocates nothing until a line is split across reads).
    pub fn new() -> Self {
        LineBuffer::default()
    }

    /// How many bytes of an unfinished line are held.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Calls `on_line` with every line that `data` completes, each with its `\n` (and a
    /// `\r` before it, if the client sent one); keeps the unfinished rest for the next call.
    ///
    /// A line of more than `max_line_length` bytes before its `\n` is an error of kind
    /// [`InvalidData`](io::ErrorKind::InvalidData): no line of it is delivered and the
    /// buffer is left empty. An error from `on_line` stops the feed and is returned.
    pub fn feed(
        &mut self,
        data: &[u8],
        max_line_length: usize,
        mut on_line: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut rest = data;
        while let Some(newline) = memchr::memchr(b'\n', rest) {
            let (line, tail) = rest.split_at(newline + 1);
            rest = tail;
            self.check(newline, max_line_length)?;
            if self.partial.is_empty() {
                on_line(line)?;
            } else {
                self.partial.extend_from_slice(line);
                // Taken (and freed after the call) so an idle connection holds no buffer.
                let whole = mem::take(&mut self.partial);
                on_line(&whole)?;
            }
        }
        if !rest.is_empty() {
            self.check(rest.len(), max_line_length)?;
            self.partial.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Takes the unfinished line, if any: at end of input it is the last line, without
    /// its `\n`.
    pub fn take_rest(&mut self) -> Option<Vec<u8>> {
        if self.partial.is_empty() {
            None
        } else {
            Some(mem::take(&mut self.partial))
        }
    }

    /// Fails when the held bytes plus `more` exceed the limit; drops the held bytes then.
    fn check(&mut self, more: usize, max_line_length: usize) -> io::Result<()> {
        if self.partial.len().saturating_add(more) <= max_line_length {
            return Ok(());
        }
        self.partial = Vec::new();
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line longer than max_line_length ({max_line_length} bytes)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(pieces: &[&[u8]], max: usize) -> (io::Result<()>, Vec<Vec<u8>>, LineBuffer) {
        let mut buffer = LineBuffer::new();
        let mut lines = Vec::new();
        for piece in pieces {
            let fed = buffer.feed(piece, max, |line| {
                lines.push(line.to_vec());
                Ok(())
            });
            if fed.is_err() {
                return (fed, lines, buffer);
            }
        }
        (Ok(()), lines, buffer)
    }

    #[test]
    fn one_byte_at_a_time_gives_whole_lines() {
        let text = b"ab\r\n\nc\n";
        let pieces: Vec<&[u8]> = text.chunks(1).collect();
        let (fed, lines, buffer) = feed_all(&pieces, 16);
        fed.unwrap();
        assert_eq!(lines, [&b"ab\r\n"[..], b"\n", b"c\n"]);
        assert_eq!(buffer.buffered(), 0);
    }

    #[test]
    fn unfinished_line_is_kept_and_taken_at_the_end() {
        let (fed, lines, mut buffer) = feed_all(&[b"one\ntw", b"o"], 16);
        fed.unwrap();
        assert_eq!(lines, [b"one\n"]);
        assert_eq!(buffer.take_rest().as_deref(), Some(&b"two"[..]));
        assert_eq!(buffer.take_rest(), None);
    }

    #[test]
    fn limit_counts_bytes_before_the_newline() {
        let (fed, lines, _) = feed_all(&[b"1234\n"], 4);
        fed.unwrap();
        assert_eq!(lines, [b"1234\n"]);

        let (fed, lines, buffer) = feed_all(&[b"12", b"345\n"], 4);
        assert_eq!(fed.unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert!(lines.is_empty());
        assert_eq!(buffer.buffered(), 0);

        let (fed, _, _) = feed_all(&[b"12345"], 4);
        assert_eq!(fed.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn error_from_the_callback_stops_the_feed() {
        let mut buffer = LineBuffer::new();
        let mut calls = 0;
        let fed = buffer.feed(b"a\nb\n", 16, |_| {
            calls += 1;
            Err(io::Error::other("stop"))
        });
        assert!(fed.is_err());
        assert_eq!(calls, 1);
    }
}
