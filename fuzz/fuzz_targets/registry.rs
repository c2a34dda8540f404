#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| shipcheck_registry::fuzzing::responses(data));
