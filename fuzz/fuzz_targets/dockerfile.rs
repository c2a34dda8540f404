#![no_main]
// Dockerfiles: parsing and every check, for a multi-platform and an unknown target set.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        shipcheck_workflow::fuzzing::dockerfile(text);
    }
});
