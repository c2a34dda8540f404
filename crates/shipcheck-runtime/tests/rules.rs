//! One fixture a rule: every rule in the generated registry has documentation, a recording in
//! tests/fixtures/rules/<rule>/ that makes it fire when it runs alone, and a reviewed snapshot of
//! what it reports (human and JSON), so a change to a message, evidence or fix shows in review.

use std::path::PathBuf;

use shipcheck_report::render::findings_for_review;
use shipcheck_report::{Domain, Report, Settings};
use shipcheck_runtime::check::{check_enabled, Input};
use shipcheck_runtime::data::{callers, CallerSpec};
use shipcheck_runtime::{observe, Runtimes};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

#[test]
fn every_rule_has_docs_a_fixture_and_a_snapshot() {
    let callers: Vec<CallerSpec> = callers().iter().map(|c| CallerSpec::parse(c).unwrap()).collect();
    for rule in shipcheck_runtime::rules::ALL {
        let name = rule.id.trim_start_matches("runtime/").replace('-', "_");
        for section in ["## What it catches", "## Fix", "## Example"] {
            assert!(rule.doc.contains(section), "{}: its doc has no `{section}`", rule.id);
        }
        let dir = fixtures().join(&name);
        assert!(dir.is_dir(), "{} has no fixture at {}", rule.id, dir.display());
        let mut o = observe::load(&dir).unwrap();
        // The recording's place, as the report names it, must not depend on the checkout.
        o.source = format!("fixtures/rules/{name}");
        let (_, findings) = check_enabled(&o, &callers, &|id| id == rule.id);
        assert!(!findings.is_empty(), "{}: its fixture does not make it fire", rule.id);
        assert!(findings.iter().all(|f| f.rule.id == rule.id), "{}: another rule ran", rule.id);
        insta::assert_snapshot!(name.clone(), findings_for_review(findings));
    }
}

#[test]
fn a_rule_that_is_off_does_not_run() {
    let callers: Vec<CallerSpec> = callers().iter().map(|c| CallerSpec::parse(c).unwrap()).collect();
    let o = observe::load(&fixtures().join("missing_flag")).unwrap();
    let (_, findings) = check_enabled(&o, &callers, &|id| id != "runtime/missing-flag");
    assert!(findings.iter().all(|f| f.rule.id != "runtime/missing-flag"), "{findings:#?}");
    assert!(!findings.is_empty(), "the other rules still run");
}

#[test]
fn the_domain_checks_recordings_with_the_enabled_rules() {
    let observations = observe::load_all(&fixtures()).unwrap();
    let input = Input { observations, callers: CallerSpec::parse_all(&[]).unwrap() };
    let mut report = Report::new();
    Runtimes::check(&input, &Settings::default(), &mut report).unwrap();
    assert_eq!(report.checked.len(), input.observations.len());
    assert!(report.checked.iter().all(|c| c.facts.contains(&("source".into(), "recording".into()))));
    assert!(report.findings.iter().any(|f| f.rule.id == "runtime/missing-flag"), "{:#?}", report.findings);
    let off = Settings::from_config(None, [("runtime/missing-flag", "off")], Runtimes::rules()).unwrap();
    let mut report = Report::new();
    Runtimes::check(&input, &off, &mut report).unwrap();
    assert!(report.findings.iter().all(|f| f.rule.id != "runtime/missing-flag"), "{:#?}", report.findings);
    assert!(!report.findings.is_empty(), "the other rules still run");
}
