#![no_main]
// A runtime's `--version`, `features` and `--help` output.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shipcheck_runtime::fuzzing::runtime_output(data));
