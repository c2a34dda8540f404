//! examples/incidents: each incident reproduced, and `shipcheck check` must catch every one.
//! The archives are made by the project's deterministic writer; this test regenerates them and
//! fails if the committed bytes differ (run with SHIPCHECK_REGENERATE=1 to rewrite them).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn elf(machine: u16) -> Vec<u8> {
    let mut h = vec![0u8; 4096];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 2;
    h[5] = 1;
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h
}

fn app(platform: &str, machine: u16) -> ImageDraft {
    ImageDraft {
        platform: Platform::parse(platform).unwrap(),
        layers: vec![
            LayerDraft {
                files: vec![
                    LayerFile::new("etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n", 0o644),
                    LayerFile::new("bin/busybox", elf(machine), 0o755),
                ],
                compression: Compression::Gzip,
            },
            LayerDraft {
                files: vec![
                    LayerFile::new("usr/local/bin/app", elf(machine), 0o755),
                    LayerFile::new("usr/share/app/README", "The app.\n".repeat(50), 0o644),
                ],
                compression: Compression::Gzip,
            },
        ],
        names: vec!["ghcr.io/example/app:1.4.0".into()],
    }
}

/// (directory, file, bytes) for every generated example archive.
fn generated() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    // A Docker 25 hybrid save whose second layer was damaged in transit: one byte flipped.
    let mut built = ArchiveDraft::new(Shape::Hybrid, vec![app("linux/amd64", 62)]).build().unwrap();
    let layer = built
        .files
        .iter()
        .filter(|(p, d)| p.starts_with("blobs/") && d.starts_with(&[0x1f, 0x8b]))
        .nth(1)
        .unwrap()
        .0
        .clone();
    let data = built.get_mut(&layer).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0x01;
    let corrupt = built.to_tar();

    // A release meant for linux/amd64 and linux/arm64 that was built for amd64 and arm/v7.
    let mut d = ArchiveDraft::new(Shape::Oci, vec![app("linux/amd64", 62), app("linux/arm/v7", 40)]);
    d.multi_platform = true;
    d.attestations = true;
    let missing = d.build().unwrap().to_tar();

    // Dangerzone's shape: a BuildKit `type=docker` export (hybrid) whose index.json ref.name
    // is the bare tag `latest`, with the full name only in io.containerd.image.name.
    let mut image = app("linux/amd64", 62);
    image.names = vec!["dangerzone.rocks/dangerzone:latest".into()];
    let mut d = ArchiveDraft::new(Shape::Hybrid, vec![image]);
    d.ref_name_tag_only = true;
    let dangerzone = d.build().unwrap().to_tar();

    vec![
        ("corrupt-layer", "app.tar", corrupt),
        ("missing-platform", "app-multiarch.tar", missing),
        ("dangerzone-podman3", "container.tar", dangerzone),
    ]
}

#[test]
fn committed_examples_match_the_generator() {
    let regenerate = std::env::var_os("SHIPCHECK_REGENERATE").is_some();
    for (dir, file, bytes) in generated() {
        let path = root().join("examples/incidents").join(dir).join(file);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == bytes,
            "{} differs from the generator output: run SHIPCHECK_REGENERATE=1 cargo test -p shipcheck --test examples",
            path.display()
        );
    }
}

fn check(dir: &Path) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("shipcheck").unwrap().args(["check", "--format", "json"]).arg(dir).output().unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn rules(json: &serde_json::Value) -> Vec<String> {
    json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

#[test]
fn check_catches_the_corrupt_layer() {
    let (code, json) = check(&root().join("examples/incidents/corrupt-layer"));
    assert_eq!(code, 1);
    let r = rules(&json);
    assert!(
        r.contains(&"image/layer-unreadable".to_string()) || r.contains(&"image/diff-id-mismatch".to_string()),
        "{r:?}"
    );
    assert!(r.contains(&"image/blob-digest-mismatch".to_string()), "{r:?}");
}

#[test]
fn check_catches_the_missing_platform() {
    let (code, json) = check(&root().join("examples/incidents/missing-platform"));
    assert_eq!(code, 1);
    let missing: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "image/missing-platform").collect();
    assert_eq!(missing.len(), 1, "{json:#}");
    assert_eq!(missing[0]["subject"]["platform"], "linux/arm64");
    assert!(rules(&json).contains(&"image/extra-platform".to_string()));
    assert!(rules(&json).contains(&"image/attestation-manifest".to_string()));
}

#[test]
fn check_runs_every_incident_in_one_call() {
    let mut cmd = Command::cargo_bin("shipcheck").unwrap();
    cmd.arg("check");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples/incidents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2);
    let out = cmd.args(&dirs).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("image/missing-platform") && text.contains("image/blob-digest-mismatch"), "{text}");
}

#[test]
fn check_catches_buildkit_keep_on_crun_recorded_as_runc() {
    let (code, json) = check(&root().join("examples/incidents/buildkit-crun-keep"));
    assert_eq!(code, 1, "{json:#}");
    let keep: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "runtime/missing-flag").collect();
    assert_eq!(keep.len(), 1, "{json:#}");
    let msg = keep[0]["message"].as_str().unwrap();
    assert!(msg.contains("crun 1.8.1 (installed as runc) rejects `run --keep`"), "{msg}");
    assert!(msg.contains("BuildKit ≥0.12") && msg.contains("crun added it in 1.15"), "{msg}");
    assert!(rules(&json).contains(&"runtime/renamed".to_string()));
}

#[test]
fn check_names_the_expired_signed_url_in_the_mirrord_log() {
    let dir = root().join("examples/incidents/mirrord-signed-url");
    let (code, json) = check(&dir);
    assert_eq!(code, 1, "{json:#}");
    let causes: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").collect();
    assert_eq!(causes.len(), 1, "{json:#}");
    assert_eq!(causes[0]["rule"], "ci/signed-url-expired");
    assert_eq!(causes[0]["evidence"]["valid_for"], "10 min");
    assert_eq!(causes[0]["evidence"]["used_after_expiry"], "3 min 59 s");
    // The log holds the URL's signature; no output format may carry it.
    for format in ["json", "human", "sarif", "github"] {
        let out =
            Command::cargo_bin("shipcheck").unwrap().args(["check", "--format", format]).arg(&dir).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("Z3JhbnRlZC1ieS1naXRodWI"), "{format} leaked the signature");
    }
}

#[test]
fn check_reports_the_crun_packit_mkpath_failure() {
    let (code, json) = check(&root().join("examples/incidents/crun-packit"));
    assert_eq!(code, 1, "{json:#}");
    let f: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "package/files-to-sync-mkpath").collect();
    assert_eq!(f.len(), 1, "{json:#}");
    let branches = f[0]["evidence"]["affected_branches"].as_str().unwrap();
    assert!(branches.contains("rawhide") && branches.contains("c10s"), "{branches}");
    assert_eq!(f[0]["evidence"]["dest"], "tests/tmt/");
}

#[test]
fn check_reports_the_kubo_riscv64_drift_before_merge() {
    let (code, json) = check(&root().join("examples/incidents/kubo-riscv64"));
    // The arch case that fails for riscv64 is an error; the drift itself is a warning.
    assert_eq!(code, 1, "{json:#}");
    let findings = json["findings"].as_array().unwrap();
    let drift: Vec<&serde_json::Value> = findings.iter().filter(|f| f["rule"] == "workflow/platform-drift").collect();
    assert_eq!(drift.len(), 1, "{json:#}");
    assert!(drift[0]["subject"]["artifact"].as_str().unwrap().ends_with("docker-image.yml"));
    assert_eq!(drift[0]["subject"]["line"], 60);
    assert!(drift[0]["evidence"]["not_built_before_merge"].as_str().unwrap().contains("linux/riscv64"), "{json:#}");
    assert_eq!(drift[0]["evidence"]["pull_request_platforms"], "linux/amd64");
    assert!(drift[0]["remedy"].as_str().unwrap().contains("push: false"));
    let case: Vec<&serde_json::Value> = findings.iter().filter(|f| f["rule"] == "dockerfile/arch-case-gap").collect();
    assert_eq!(case.len(), 1, "{json:#}");
    assert!(case[0]["message"].as_str().unwrap().contains("linux/riscv64"));
    let r = rules(&json);
    assert!(r.contains(&"workflow/commented-trigger".to_string()), "{r:?}");
    assert!(r.contains(&"workflow/gha-cache-long-build".to_string()), "{r:?}");
}

#[test]
fn check_predicts_the_podman3_localhost_name_and_both_image_ids() {
    let (code, json) = check(&root().join("examples/incidents/dangerzone-podman3"));
    assert_eq!(code, 0, "warnings only: {json:#}");
    let f: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "engine/podman3-localhost-name").collect();
    assert_eq!(f.len(), 1, "{json:#}");
    assert!(f[0]["message"].as_str().unwrap().ends_with("loads it as localhost/latest:latest"), "{json:#}");
    assert_eq!(f[0]["evidence"]["expected_names"], "dangerzone.rocks/dangerzone:latest");
    // Both IDs an application may register: the config digest (Docker graphdriver, Podman)
    // and the manifest digest (containerd), from the engine table.
    let rows = json["checked"][0]["engines"].as_array().unwrap();
    let id =
        |engine: &str| rows.iter().find(|r| r["engine"] == engine).unwrap()["image_id"].as_str().unwrap().to_string();
    let (config_id, manifest_id) = (id("podman@3.4"), id("containerd@1.6"));
    assert!(
        config_id.starts_with("sha256:") && manifest_id.starts_with("sha256:") && config_id != manifest_id,
        "{rows:#?}"
    );
    assert_eq!(id("docker@20.10"), config_id);
    assert_eq!(id("podman@4.3"), config_id);
    assert!(rows.iter().any(|r| r["engine"] == "podman@4.3" && r["verdict"] == "loads"), "{rows:#?}");
}

#[test]
fn convert_fixes_the_dangerzone_archive_for_podman3() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fixed.tar");
    let src = root().join("examples/incidents/dangerzone-podman3/container.tar");
    let run = Command::cargo_bin("shipcheck")
        .unwrap()
        .arg("convert")
        .arg(&src)
        .arg(&out)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));
    let check = Command::cargo_bin("shipcheck")
        .unwrap()
        .arg("image")
        .arg(&out)
        .args(["--engine", "podman@3.4,podman@4.3,docker@20.10,containerd@1.6", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(check.status.code(), Some(0), "{json:#}");
    let rows = json["checked"][0]["engines"].as_array().unwrap();
    for r in rows {
        assert_eq!(r["verdict"], "loads", "{r}");
        assert_eq!(r["names"], "dangerzone.rocks/dangerzone:latest", "{r}");
    }
    assert!(!json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "engine/podman3-localhost-name"));
}

/// The mirrord demo: a client that fetches one token is refused mid-push by a real registry
/// whose tokens live 2 s; `shipcheck push` of the same image succeeds. The test registry
/// program is the crate example cargo builds beside the tests.
#[test]
fn mirrord_demo_fails_with_one_token_and_succeeds_with_shipcheck() {
    if !shipcheck_registry::testing::available() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let test_registry = exe.parent().unwrap().parent().unwrap().join("examples/test-registry");
    if !test_registry.exists() {
        // `cargo test --workspace` builds it; `cargo test -p shipcheck` does not.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "shipcheck-registry", "--features", "testing", "--example", "test-registry"])
            .current_dir(root())
            .status()
            .unwrap();
        assert!(built.success() && test_registry.exists(), "cannot build {}", test_registry.display());
    }
    let out = std::process::Command::new(root().join("examples/incidents/mirrord-signed-url/demo.sh"))
        .env("SHIPCHECK", assert_cmd::cargo::cargo_bin("shipcheck"))
        .env("TEST_REGISTRY", &test_registry)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("HTTP 401 UNAUTHORIZED"), "{text}");
    assert!(text.contains("0 refused; read back: the registry serves this digest"), "{text}");
}
