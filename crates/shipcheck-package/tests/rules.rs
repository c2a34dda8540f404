//! One fixture a rule: every rule in the generated registry has documentation, a repository in
//! tests/fixtures/rules/<rule>/ that makes it fire when it runs alone, and a reviewed snapshot of
//! what it reports (human and JSON), so a change to a message, evidence or fix shows in review.
//!
//! A fixture is a repository directory: `.packit.yaml` and a spec, and optionally `existing.txt`
//! (passed as `--existing`), `tag` (passed as `--tag`) and `git-tags` (the test copies the
//! fixture into a temporary git repository, commits it and creates these tags, for the rules
//! that read the repository's history).

use std::path::{Path, PathBuf};
use std::process::Command;

use shipcheck_package::check::{check_enabled, Input, Options};
use shipcheck_package::Packaging;
use shipcheck_report::render::findings_for_review;
use shipcheck_report::{Domain, Report, Settings};

/// The date the changelog rules judge by, fixed so that snapshots do not age.
const TODAY: (i32, u32, u32) = (2026, 11, 23);

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Fixture", "-c", "user.email=fixture@example.com", "-c", "commit.gpgsign=false"])
        .args(["-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?} failed");
}

/// The fixture as a git repository of its own, with the tags `git-tags` lists.
fn repository(fixture: &Path, tags: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "git-tags") {
            std::fs::copy(&path, repo.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "fixture"]);
    for tag in tags.lines().filter(|t| !t.is_empty()) {
        git(repo.path(), &["tag", tag]);
    }
    repo
}

#[test]
fn every_rule_has_docs_a_fixture_and_a_snapshot() {
    for rule in shipcheck_package::rules::ALL {
        let name = rule.id.trim_start_matches("package/").replace('-', "_");
        for section in ["## What it catches", "## Fix", "## Example"] {
            assert!(rule.doc.contains(section), "{}: its doc has no `{section}`", rule.id);
        }
        let fixture = fixtures().join(&name);
        assert!(fixture.is_dir(), "{} has no fixture at {}", rule.id, fixture.display());
        let read = |f: &str| std::fs::read_to_string(fixture.join(f)).ok();
        let repo = read("git-tags").map(|tags| repository(&fixture, &tags));
        let dir = repo.as_ref().map_or(fixture.clone(), |r| r.path().to_path_buf());
        let options = Options {
            tag: read("tag").map(|t| t.trim().to_string()),
            existing: read("existing.txt").map(|_| fixture.join("existing.txt")),
            today: TODAY,
        };
        let outcome = check_enabled(&dir, &options, &|id| id == rule.id).unwrap();
        assert!(outcome.errors.is_empty(), "{}: {:?}", rule.id, outcome.errors);
        let findings = outcome.findings;
        assert!(!findings.is_empty(), "{}: its fixture does not make it fire", rule.id);
        assert!(findings.iter().all(|f| f.rule.id == rule.id), "{}: another rule ran", rule.id);
        let text = findings_for_review(findings);
        // The fixture's place, as the report names it, must not depend on the checkout.
        let text = text.replace(&dir.display().to_string(), &format!("fixtures/rules/{name}"));
        insta::assert_snapshot!(name.clone(), text);
    }
}

#[test]
fn a_rule_that_is_off_does_not_run() {
    let dir = fixtures().join("invalid_value");
    let options = Options { today: TODAY, ..Options::default() };
    let outcome = check_enabled(&dir, &options, &|id| id != "package/invalid-value").unwrap();
    assert!(outcome.findings.iter().all(|f| f.rule.id != "package/invalid-value"), "{:#?}", outcome.findings);
    let outcome = check_enabled(&dir, &options, &|_| true).unwrap();
    assert!(outcome.findings.iter().any(|f| f.rule.id == "package/invalid-value"), "{:#?}", outcome.findings);
}

#[test]
fn the_domain_runs_the_enabled_rules_into_the_report() {
    let input =
        Input { dir: fixtures().join("invalid_value"), options: Options { today: TODAY, ..Options::default() } };
    let mut report = Report::new();
    Packaging::check(&input, &Settings::default(), &mut report).unwrap();
    assert!(report.findings.iter().any(|f| f.rule.id == "package/invalid-value"), "{:#?}", report.findings);
    assert!(report.checked.iter().any(|c| c.kind == "packit config"), "{:#?}", report.checked);
    let off = Settings::from_config(None, [("package/invalid-value", "off")], Packaging::rules()).unwrap();
    let mut report = Report::new();
    Packaging::check(&input, &off, &mut report).unwrap();
    assert!(report.findings.iter().all(|f| f.rule.id != "package/invalid-value"), "{:#?}", report.findings);
    // A directory without a packit configuration: nothing checked, and where it looked.
    let empty = tempfile::tempdir().unwrap();
    let mut report = Report::new();
    let input = Input { dir: empty.path().to_path_buf(), options: Options { today: TODAY, ..Options::default() } };
    Packaging::check(&input, &Settings::default(), &mut report).unwrap();
    assert!(report.nothing_to_check(), "{:?}", report.looked);
    // An unusable --existing file is an error of the whole check, naming the file.
    let bad = empty.path().join("existing.txt");
    std::fs::write(&bad, "f43\n").unwrap();
    let options = Options { existing: Some(bad.clone()), today: TODAY, ..Options::default() };
    let err =
        Packaging::check(&Input { dir: fixtures().join("invalid_value"), options }, &Settings::default(), &mut report)
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: line 1: expected `BRANCH NAME-VERSION-RELEASE`, got `f43`", bad.display())
    );
}
