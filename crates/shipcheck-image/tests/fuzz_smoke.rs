//! Runs the fuzz target bodies on stable over seeds and deterministic mutations of them, so
//! that the targets keep compiling and known inputs never panic. Real fuzzing: fuzz/README.md.

use shipcheck_image::fuzzing;
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{compress, ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};

fn seeds() -> Vec<Vec<u8>> {
    let img = ImageDraft {
        platform: Platform::parse("linux/arm64").unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("a/b", "x".repeat(700), 0o755)],
            compression: Compression::Gzip,
        }],
        names: vec!["r/x:1".into()],
    };
    let mut out = Vec::new();
    for shape in [Shape::Oci, Shape::DockerLegacy, Shape::Hybrid] {
        let mut d = ArchiveDraft::new(shape, vec![img.clone()]);
        d.multi_platform = shape != Shape::DockerLegacy;
        d.attestations = d.multi_platform;
        let tar = d.build().unwrap().to_tar();
        out.push(compress(&tar, Compression::Gzip).unwrap());
        out.push(tar);
    }
    out
}

/// xorshift: deterministic, no dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn targets_survive_seeds_and_mutations() {
    let mut rng = 0x9e3779b97f4a7c15u64;
    for seed in seeds() {
        fuzzing::archive(&seed);
        fuzzing::layer(&seed);
        for _ in 0..40 {
            let mut m = seed.clone();
            for _ in 0..(1 + next(&mut rng) % 8) {
                let i = (next(&mut rng) as usize) % m.len();
                m[i] = next(&mut rng) as u8;
            }
            let cut = (next(&mut rng) as usize) % m.len();
            fuzzing::archive(&m);
            fuzzing::archive(&m[..cut]);
            fuzzing::layer(&m[..cut]);
        }
    }
    for doc in [
        &b"null"[..],
        b"{\"manifests\":null}",
        b"{\"layers\":[{\"size\":-1}]}",
        b"[{\"Config\":null}]",
        b"{\"size\":\"9\"}",
        b"\xff\xfe",
    ] {
        fuzzing::documents(doc);
    }
}

/// The inputs fuzz/seeds/<target> keeps: the coverage-minimised corpus of the long runs
/// recorded in fuzz/README.md. Each runs through its target's body here, on stable.
fn committed_seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seeds", dir.display());
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn committed_seeds_run_clean() {
    for seed in committed_seeds("layer") {
        fuzzing::layer(&seed);
    }
    for seed in committed_seeds("documents") {
        fuzzing::documents(&seed);
    }
    for seed in committed_seeds("archive") {
        fuzzing::archive(&seed);
    }
}
