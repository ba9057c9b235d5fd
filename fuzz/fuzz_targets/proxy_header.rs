//! Fuzz target `proxy_header`: The PROXY protocol v1/v2 header parser, on the input and every prefix of it.
//! The checks are in `socketserver::fuzzing::proxy_header`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::proxy_header(data));
