#![no_main]
// .packit.yaml and spec text: every packaging check.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shipcheck_package::fuzzing::packit(data));
