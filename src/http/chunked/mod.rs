//! HTTP/1.1's chunked transfer coding (RFC 9112 §7.1): [`ChunkedReader`] decodes a
//! request body sent with `Transfer-Encoding: chunked`, [`ChunkedWriter`] encodes a
//! response body whose length is not known when its head is sent.
#![allow(dead_code)] // ChunkedWriter::get_ref and ChunkedReader::into_inner serve the tests.

mod reader;
#[cfg(test)]
mod tests;
mod writer;

pub(crate) use reader::ChunkedReader;
pub(crate) use writer::ChunkedWriter;
