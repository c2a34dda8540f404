#![no_main]
// CI logs: the whole diagnosis with the built-in signatures.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shipcheck_triage::fuzzing::log(data));
