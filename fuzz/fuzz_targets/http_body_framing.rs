//! Fuzz target `http_body_framing`: Content-Length framing of a parsed head, and the chunked body decoder.
//! The checks are in `socketserver::fuzzing::http_body_framing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::http_body_framing(data));
