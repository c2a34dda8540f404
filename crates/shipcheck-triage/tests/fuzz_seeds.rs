//! The inputs fuzz/seeds/log keeps (the coverage-minimised corpus of the long runs recorded in
//! fuzz/README.md), each through the fuzz target's body, on stable: an input the fuzzer once
//! found interesting stays covered in every test run.

#[test]
fn committed_seeds_run_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/log");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seeds", dir.display());
    for f in files {
        shipcheck_triage::fuzzing::log(&std::fs::read(f).unwrap());
    }
}
