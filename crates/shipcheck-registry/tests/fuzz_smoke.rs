//! Runs the `registry` fuzz target's body on stable over seeds and deterministic mutations, so
//! it keeps compiling and known inputs never panic. Real fuzzing: fuzz/README.md.

use shipcheck_registry::fuzzing::responses;

fn seeds() -> Vec<Vec<u8>> {
    [
        &br#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#[..],
        br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
        br#"{"auths":{"registry.example":{"auth":"dTpw"}},"credHelpers":{"x":"y"}}"#,
        b"bytes=0-1048575",
        b"ghcr.io/owner/repo:1.2@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:aa","size":2,"mediaType":"x"},{"digest":"sha256:bb","size":9}]}
{"config":{"digest":"sha256:cc","size":1},"layers":[{"digest":"sha256:dd","size":5,"urls":["u"]}]}
{"manifests":[{"digest":"sha256:aa","size":2}]}"#,
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect()
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn registry_target_survives_seeds_and_mutations() {
    let mut rng = 0x2545f4914f6cdd1du64;
    for seed in seeds() {
        responses(&seed);
        for _ in 0..200 {
            let mut m = seed.clone();
            for _ in 0..(1 + next(&mut rng) % 6) {
                let i = (next(&mut rng) as usize) % m.len();
                m[i] = next(&mut rng) as u8;
            }
            let cut = (next(&mut rng) as usize) % m.len();
            responses(&m);
            responses(&m[..cut]);
        }
    }
    for bad in [&b""[..], b"\xff\xfe\x00", b"Bearer", b"Bearer realm=\"", b"-", b"0-", b"bytes=0-18446744073709551615"]
    {
        responses(bad);
    }
}

/// The inputs fuzz/seeds/registry keeps (the coverage-minimised corpus of the long runs
/// recorded in fuzz/README.md), each through the target's body, on stable.
#[test]
fn committed_seeds_run_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/registry");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seeds", dir.display());
    for f in files {
        responses(&std::fs::read(f).unwrap());
    }
}
