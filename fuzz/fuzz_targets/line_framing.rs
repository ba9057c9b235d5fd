//! Fuzz target `line_framing`: The event loop's line framing and the blocking rfile's line reading, over any cut into reads.
//! The checks are in `socketserver::fuzzing::line_framing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::line_framing(data));
