//! One fixture a rule: every rule in the generated registry has documentation, a recording in
//! tests/fixtures/rules/<rule>/ that makes it fire when it runs alone, and a reviewed snapshot of
//! what it reports (human and JSON), so a change to a message, evidence or fix shows in review.

use std::path::PathBuf;

use shipcheck_report::render::{render, Format, HumanOptions};
use shipcheck_report::Report;
use shipcheck_runtime::check::check_enabled;
use shipcheck_runtime::data::{callers, CallerSpec};
use shipcheck_runtime::observe;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn rendered(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    render(report, format, &HumanOptions { color: false }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
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
        let mut report = Report::new();
        report.findings = findings;
        report.sort();
        let json: serde_json::Value = serde_json::from_str(&rendered(&report, Format::Json)).unwrap();
        let text = format!("{}\n{:#}", rendered(&report, Format::Human), json["findings"]);
        insta::assert_snapshot!(name.clone(), text);
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
