//! The fuzz targets' bodies on stable: real seeds and deterministic mutations of them (byte
//! flips, truncations, splices). No coverage guidance; it keeps the targets compiling and
//! catches panics on inputs near real ones in every test run.

use shipcheck_workflow::fuzzing;

fn seeds() -> Vec<String> {
    let kubo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/incidents/kubo-riscv64");
    let read = |p: &str| std::fs::read_to_string(format!("{kubo}/{p}")).unwrap();
    let pr = read(".github/workflows/docker-build.yml");
    let release = read(".github/workflows/docker-image.yml");
    let action = "runs:\n  using: composite\n  steps:\n    - run: docker buildx build --platform ${{ inputs.p }} .\n";
    let bake = "target \"app\" { platforms = [\"linux/arm64\"] }\ngroup \"default\" { targets = [\"app\"] }\n";
    let make = "P ?= linux/arm64\nimg:\n\tdocker buildx build --platform $(P) .\n";
    let gor = "dockers:\n  - goarch: arm64\n";
    vec![
        format!("{pr}\n#FILE\n{release}\n#FILE\n{action}\n#FILE\n{bake}\n#FILE\n{make}\n#FILE\n{gor}"),
        read("Dockerfile"),
    ]
}

fn mutations(seed: &str) -> Vec<String> {
    let bytes = seed.as_bytes();
    let mut out = Vec::new();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut m = bytes.to_vec();
        let at = (state as usize) % m.len().max(1);
        match i % 4 {
            0 => m[at] = b"{}[]:-|>&*!%@`'\"\n\t #$\\<"[(state >> 32) as usize % 24],
            1 => m.truncate(at),
            2 => m.splice(at..at, bytes[..(at.min(200))].iter().copied()).for_each(drop),
            _ => m.insert(at, b'\n'),
        }
        out.push(String::from_utf8_lossy(&m).into_owned());
    }
    out
}

#[test]
fn workflow_and_dockerfile_targets_survive_mutations() {
    let seeds = seeds();
    for seed in &seeds {
        for m in std::iter::once(seed.clone()).chain(mutations(seed)) {
            fuzzing::repository(&m);
            fuzzing::dockerfile(&m);
        }
    }
}

/// The inputs fuzz/seeds/<target> keeps (the coverage-minimised corpus of the long runs
/// recorded in fuzz/README.md), each through its target's body, on stable. The targets take
/// UTF-8 only, as the fuzz targets do.
#[test]
fn committed_seeds_run_clean() {
    for (target, body) in [("workflow", fuzzing::repository as fn(&str)), ("dockerfile", fuzzing::dockerfile)] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert!(!files.is_empty(), "{} has no seeds", dir.display());
        for f in files {
            if let Ok(text) = String::from_utf8(std::fs::read(f).unwrap()) {
                body(&text);
            }
        }
    }
}
