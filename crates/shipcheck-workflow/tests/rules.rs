//! One fixture a rule: every rule in the generated registry has documentation, a tiny repository
//! in tests/fixtures/rules/<rule>/ that makes it fire when it runs alone, and a reviewed snapshot
//! of what it reports (human and JSON), so a change to a message, evidence or fix shows in review.
//!
//! A fixture holds `.github/workflows/*.yml`, or a Dockerfile with `platforms` (the target
//! platforms, one a line, as `--platform` gives them) and, for the `--online` check, `available`
//! (what the base image's registry lists).

use std::path::{Path, PathBuf};

use shipcheck_report::render::findings_for_review;
use shipcheck_report::Finding;
use shipcheck_workflow::dockerfile_check::{base_images, Context};
use shipcheck_workflow::facts::{check_enabled, BaseFacts, DockerfileFacts, Facts};
use shipcheck_workflow::{build_contexts, dockerfile, find_dockerfiles, repo::Repo, workflow};

/// Relative to the crate, which is where `cargo test` runs: the report then names the fixture
/// the same way on every checkout, and the human renderer finds the file for its snippet.
const FIXTURES: &str = "tests/fixtures/rules";

/// A list file of the fixture (one entry a line), if it has one.
fn list(dir: &Path, name: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    Some(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
}

/// Every finding of the fixture's repository from the rules `enabled` accepts.
fn check_fixture(dir: &Path, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let analysis = workflow::analyze(&Repo::new(dir));
    let mut out = check_enabled(&Facts { workflows: Some(&analysis), ..Facts::default() }, enabled);
    let contexts = build_contexts(&analysis);
    let available = list(dir, "available");
    for rel in find_dockerfiles(dir) {
        let ctx = match list(dir, "platforms") {
            Some(platforms) => Context { platforms: Some(platforms), source: None },
            None => contexts.get(&rel.to_ascii_lowercase()).cloned().unwrap_or_default(),
        };
        let artifact = format!("{}/{rel}", dir.display());
        let df = dockerfile::parse(&std::fs::read_to_string(dir.join(&rel)).unwrap());
        let facts = Facts { dockerfile: Some(DockerfileFacts::new(&df, &artifact, &ctx)), ..Facts::default() };
        out.extend(check_enabled(&facts, enabled));
        for base in base_images(&df, &ctx) {
            let Some(available) = &available else { continue };
            let facts =
                Facts { base: Some(BaseFacts { artifact: &artifact, base: &base, available }), ..Facts::default() };
            out.extend(check_enabled(&facts, enabled));
        }
    }
    out
}

#[test]
fn every_rule_has_docs_a_fixture_and_a_snapshot() {
    for rule in shipcheck_workflow::rules::ALL {
        let name = rule.id.split_once('/').map_or(rule.id, |(_, n)| n).replace('-', "_");
        for section in ["## What it catches", "## Fix", "## Example"] {
            assert!(rule.doc.contains(section), "{}: its doc has no `{section}`", rule.id);
        }
        let dir = PathBuf::from(FIXTURES).join(&name);
        assert!(dir.is_dir(), "{} has no fixture at {}", rule.id, dir.display());
        let findings = check_fixture(&dir, &|id| id == rule.id);
        assert!(!findings.is_empty(), "{}: its fixture does not make it fire", rule.id);
        assert!(findings.iter().all(|f| f.rule.id == rule.id), "{}: another rule ran", rule.id);
        let text = findings_for_review(findings);
        insta::assert_snapshot!(name.clone(), text);
    }
}

#[test]
fn every_rule_file_is_named_after_its_rule() {
    let mut files: Vec<String> = std::fs::read_dir("src/rules")
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(String::from))
        .filter(|n| n != "mod")
        .collect();
    files.sort();
    let mut names: Vec<String> = shipcheck_workflow::rules::ALL
        .iter()
        .map(|r| r.id.split_once('/').map_or(r.id, |(_, n)| n).replace('-', "_"))
        .collect();
    names.sort();
    assert_eq!(files, names);
}

#[test]
fn a_rule_that_is_off_does_not_run() {
    let dir = PathBuf::from(FIXTURES).join("platform_drift");
    let findings = check_fixture(&dir, &|id| id != "workflow/platform-drift");
    assert!(findings.iter().all(|f| f.rule.id != "workflow/platform-drift"), "{findings:#?}");
    assert!(!check_fixture(&dir, &|_| true).is_empty(), "the fixture fires with every rule on");
}
