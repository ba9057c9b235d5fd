//! Fuzz target `datagrams`: The datagram server path over loopback UDP: receive, request, handler, reply.
//! The checks are in `socketserver::fuzzing::datagrams`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketserver::fuzzing::datagrams(data));
