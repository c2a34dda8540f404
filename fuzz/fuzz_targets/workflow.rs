#![no_main]
// Workflows, composite actions and bake files: the input is split at "\n#FILE\n" into a
// workflow, a second workflow, a composite action and a docker-bake.hcl of one in-memory
// repository, which is analyzed and checked as a whole.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        shipcheck_workflow::fuzzing::repository(text);
    }
});
