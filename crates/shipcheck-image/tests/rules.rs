//! One fixture a rule: every rule in the generated registry has documentation, an image in
//! tests/fixtures/rules/<rule>/ (written by tests/fixtures/rules/generate.py) that makes it fire
//! when it runs alone, and a reviewed snapshot of what it reports (human and JSON), so a change
//! to a message, evidence or fix shows in review.

use std::path::{Path, PathBuf};

use shipcheck_image::engine;
use shipcheck_image::platform::Platform;
use shipcheck_image::verify::verify_with;
use shipcheck_image::{SourceSpec, VerifyOptions};
use shipcheck_report::render::findings_for_review;
use shipcheck_report::Finding;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The fixture's source: its `archive.tar` when it has one (defects only a tar can have), else
/// the directory, read as an OCI layout or a docker save directory. Findings name it
/// `fixtures/rules/<name>`, whatever the checkout's path.
fn source(name: &str) -> SourceSpec {
    let dir = fixtures().join(name);
    assert!(dir.is_dir(), "{name} has no fixture at {}", dir.display());
    let tar = dir.join("archive.tar");
    let path: &Path = if tar.is_file() { &tar } else { &dir };
    let mut spec = SourceSpec::parse(&path.display().to_string()).unwrap();
    spec.display = format!("fixtures/rules/{name}");
    spec
}

/// Platforms the coverage rules require of their fixture (a linux/amd64 image).
fn options(name: &str) -> VerifyOptions {
    let platforms = match name {
        "missing_platform" | "extra_platform" => vec![Platform::parse("linux/arm64").unwrap()],
        _ => Vec::new(),
    };
    VerifyOptions { platforms, ..VerifyOptions::default() }
}

/// The engine each engine rule's fixture is predicted for.
fn engine_for(name: &str) -> Option<&'static str> {
    match name {
        "load_fails" => Some("docker@20.10"),
        "other_name" => Some("podman@4.3"),
        "podman3_localhost_name" => Some("podman@3.4"),
        _ => None,
    }
}

/// What the rule reports on its fixture when only it runs. Engine rules are predictions over
/// the verified image ([`engine::report`]), made for the engine the fixture targets.
fn findings(name: &str, id: &str) -> Vec<Finding> {
    let spec = source(name);
    let v = verify_with(&spec, &options(name), &|rule| rule == id).unwrap();
    match engine_for(name) {
        Some(e) => {
            assert!(v.findings.is_empty(), "{id}: the verifier reported {:#?}", v.findings);
            let selected = engine::select(&[e.to_string()]).unwrap();
            let (_, found) = engine::report(&v, &spec.display, &selected);
            found.into_iter().filter(|f| f.rule.id == id).collect()
        }
        None => v.findings,
    }
}

#[test]
fn every_rule_has_docs_a_fixture_and_a_snapshot() {
    for rule in shipcheck_image::rules::ALL {
        let name = rule.id.rsplit('/').next().unwrap().replace('-', "_");
        for section in ["## What it catches", "## Fix", "## Example"] {
            assert!(rule.doc.contains(section), "{}: its doc has no `{section}`", rule.id);
        }
        assert!(
            rule.doc.contains("## Why it matters") || rule.doc.contains("## Why it breaks releases"),
            "{}: its doc says not why it matters",
            rule.id
        );
        let found = findings(&name, rule.id);
        assert!(!found.is_empty(), "{}: its fixture does not make it fire", rule.id);
        assert!(found.iter().all(|f| f.rule.id == rule.id), "{}: another rule ran: {found:#?}", rule.id);
        insta::assert_snapshot!(name.clone(), findings_for_review(found));
    }
}

#[test]
fn every_fixture_belongs_to_a_rule() {
    let names: Vec<String> =
        shipcheck_image::rules::ALL.iter().map(|r| r.id.rsplit('/').next().unwrap().replace('-', "_")).collect();
    for e in std::fs::read_dir(fixtures()).unwrap().flatten().filter(|e| e.path().is_dir()) {
        let dir = e.file_name().to_string_lossy().into_owned();
        assert!(names.contains(&dir), "tests/fixtures/rules/{dir} is no rule's fixture");
    }
}

#[test]
fn a_rule_that_is_off_does_not_run() {
    let spec = source("blob_size_mismatch");
    let all = verify_with(&spec, &VerifyOptions::default(), &|_| true).unwrap();
    assert!(all.findings.iter().any(|f| f.rule.id == "image/blob-size-mismatch"), "{:#?}", all.findings);
    let v = verify_with(&spec, &VerifyOptions::default(), &|id| id != "image/blob-size-mismatch").unwrap();
    assert!(v.findings.iter().all(|f| f.rule.id != "image/blob-size-mismatch"), "{:#?}", v.findings);
    let none = verify_with(&spec, &VerifyOptions::default(), &|_| false).unwrap();
    assert!(none.findings.is_empty(), "{:#?}", none.findings);
    assert_eq!(none.images.len(), all.images.len(), "the walk does not depend on the rules");
}
