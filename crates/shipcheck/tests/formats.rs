//! Every `--format` on the same real findings (kubo@765cffe6c: the riscv64 platform drift), and
//! the SARIF that code scanning reads: repository-relative URIs, a category per command, and
//! fingerprints that survive the finding's line moving.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;

/// kubo's workflows copied into a fresh repository (`.git` marks its root), or `None` when the
/// corpus is absent (a failure under `CI=true`).
fn kubo_repository() -> Option<(tempfile::TempDir, PathBuf)> {
    let corpus = std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let kubo = corpus.join("repos/kubo@765cffe6c/.github/workflows");
    if !kubo.is_dir() {
        assert!(std::env::var("CI").is_err(), "the corpus is missing: {}", kubo.display());
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("kubo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    for entry in std::fs::read_dir(&kubo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), repo.join(".github/workflows").join(entry.file_name())).unwrap();
    }
    Some((dir, repo))
}

/// `shipcheck workflows DIR --format FORMAT`, run from `cwd`.
fn run(cwd: &Path, dir: &Path, format: &str) -> String {
    let out = Command::cargo_bin("shipcheck")
        .unwrap()
        .current_dir(cwd)
        .arg("workflows")
        .arg(dir)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const FORMATS: &[&str] = &["human", "json", "sarif", "github", "markdown", "gitlab", "junit", "concise"];

#[test]
fn every_format_reports_the_riscv64_drift() {
    let Some((dir, repo)) = kubo_repository() else { return };
    for format in FORMATS {
        let text = run(dir.path(), &repo, format);
        assert!(text.contains("workflow/platform-drift") && text.contains("riscv64"), "{format}:\n{text}");
    }
    let concise = run(dir.path(), &repo, "concise");
    assert!(
        concise.lines().any(|l| l.contains("docker-image.yml:134:22: warning workflow/platform-drift ")),
        "{concise}"
    );
    let gitlab: serde_json::Value = serde_json::from_str(&run(dir.path(), &repo, "gitlab")).unwrap();
    assert!(gitlab.as_array().unwrap().iter().any(|i| i["location"]["path"] == ".github/workflows/docker-image.yml"
        && i["location"]["lines"]["begin"] == 134
        && i["severity"] == "major"));
    let junit = run(dir.path(), &repo, "junit");
    assert!(junit.starts_with("<?xml") && junit.contains(r#"<testsuites name="shipcheck workflows""#), "{junit}");
    let markdown = run(dir.path(), &repo, "markdown");
    assert!(markdown.starts_with("## shipcheck workflows: 0 errors, 2 warnings") && markdown.contains("### workflow"));
}

/// The drift's SARIF result: its URI, line and fingerprint.
fn drift(sarif: &str) -> (String, u64, String) {
    let v: serde_json::Value = serde_json::from_str(sarif).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "shipcheck/workflows/");
    let r = run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "workflow/platform-drift").unwrap();
    let physical = &r["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap().ends_with("/kubo/"));
    (
        physical["artifactLocation"]["uri"].as_str().unwrap().to_string(),
        physical["region"]["startLine"].as_u64().unwrap(),
        r["partialFingerprints"]["shipcheckFingerprint/v1"].as_str().unwrap().to_string(),
    )
}

#[test]
fn sarif_locations_are_repository_relative_and_fingerprints_survive_line_moves() {
    let Some((dir, repo)) = kubo_repository() else { return };
    // From outside the repository, with the directory given absolutely, and from inside it.
    let outside = drift(&run(dir.path(), &repo, "sarif"));
    let inside = drift(&run(&repo, Path::new("."), "sarif"));
    assert_eq!(outside, inside);
    assert_eq!(outside.0, ".github/workflows/docker-image.yml");
    // Three comment lines above everything: the line moves, the fingerprint does not.
    let file = repo.join(".github/workflows/docker-image.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# one\n# two\n# three\n{text}")).unwrap();
    let moved = drift(&run(dir.path(), &repo, "sarif"));
    assert_eq!(moved.1, outside.1 + 3);
    assert_eq!(moved.2, outside.2);
}

/// A runtime recording is no file of the repository: its findings are placed at the line of
/// the shipcheck.toml that names the recording, relative to the repository root, never written
/// as a file URI of their own.
#[test]
fn sarif_places_runtime_findings_at_the_config_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/buildkit-crun-keep");
    let out = Command::cargo_bin("shipcheck")
        .unwrap()
        .current_dir(&dir)
        .args(["check", "--format", "sarif"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "shipcheck/check/");
    let results = run["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "runtime/missing-flag"), "{v:#}");
    for r in results {
        let location = &r["locations"][0];
        assert_eq!(location["logicalLocations"][0]["name"], "runc (recording ./recording/runc)");
        let physical = &location["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.ends_with("examples/incidents/buildkit-crun-keep/shipcheck.toml"), "{uri}");
        assert_eq!(physical["region"]["startLine"], 5, "`from-recording = \"recording\"`");
    }
}
