//! Fuzz target `http_request_head`: A request head read off any bytes, in reads of any size: parsed or refused the same way.
//! The checks are in `socketserver::fuzzing::http_request_head`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::http_request_head(data));
