//! Fuzz target `http_connection`: The whole HTTP connection driver over a socketpair: complete responses, then a close.
//! The checks are in `socketserver::fuzzing::http_connection`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::http_connection(data));
