#![no_main]
// Workflows and what they call: the input is split at "\n#FILE\n" into two workflows, a
// composite action, a docker-bake.hcl, a Makefile and a .goreleaser.yaml of one in-memory
// repository, which is analyzed and checked as a whole.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        shipcheck_workflow::fuzzing::repository(text);
    }
});
