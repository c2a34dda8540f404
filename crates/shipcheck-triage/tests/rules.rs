//! One fixture a rule: every rule in the generated registry has documentation, a short log in
//! tests/fixtures/rules/<rule>/job.log that makes it fire when it runs alone (and names it the
//! root cause when every rule runs), and a reviewed snapshot of what it reports (human and
//! JSON), so a change to a message, evidence or fix shows in review.

use shipcheck_report::render::findings_for_review;
use shipcheck_report::{Domain, Finding, Report, Settings, Severity};
use shipcheck_triage::check::Input;
use shipcheck_triage::input::diagnose_path_enabled;
use shipcheck_triage::kb::Kb;
use shipcheck_triage::Logs;

/// Relative to the crate, as cargo runs tests: the report names the log the same way in every
/// checkout, and the human renderer can still read its lines back.
fn fixture(name: &str) -> String {
    format!("tests/fixtures/rules/{name}/job.log")
}

fn diagnose(name: &str, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let kb = Kb::load(&[]).unwrap();
    diagnose_path_enabled(&kb, &fixture(name), enabled).unwrap().1
}

fn root(findings: &[Finding]) -> Option<&Finding> {
    findings.iter().find(|f| f.severity == Severity::Error)
}

#[test]
fn every_rule_has_docs_a_fixture_and_a_snapshot() {
    for rule in shipcheck_triage::rules::ALL {
        let name = rule.id.trim_start_matches("ci/").replace('-', "_");
        for section in ["## What it catches", "## Why it", "## Fix", "## Example"] {
            assert!(rule.doc.contains(section), "{}: its doc has no `{section}`", rule.id);
        }
        assert!(std::path::Path::new(&fixture(&name)).is_file(), "{} has no fixture at {}", rule.id, fixture(&name));
        let all = diagnose(&name, &|_| true);
        // A note rule (no failure found) has no root cause: its finding is the only one.
        assert_eq!(
            root(&all).or(all.first()).map(|f| f.rule.id),
            Some(rule.id),
            "{}: its fixture's root cause is another rule",
            rule.id
        );
        let findings = diagnose(&name, &|id| id == rule.id);
        assert!(!findings.is_empty(), "{}: its fixture does not make it fire", rule.id);
        assert!(findings.iter().all(|f| f.rule.id == rule.id), "{}: another rule ran", rule.id);
        insta::assert_snapshot!(name.clone(), findings_for_review(findings));
    }
}

#[test]
fn a_rule_that_is_off_does_not_run() {
    let findings = diagnose("credential_expired", &|id| id != "ci/credential-expired");
    assert!(findings.iter().all(|f| f.rule.id != "ci/credential-expired"), "{findings:#?}");
    // Its signatures are left out of the ranking: with no other signature there, the failure is
    // found from the log's shape.
    assert_eq!(root(&findings).map(|f| f.rule.id), Some("ci/unclassified-failure"), "{findings:#?}");
}

#[test]
fn the_domain_runs_only_the_rules_settings_enable() {
    let input = Input { logs: vec![fixture("signed_url_expired")], rules: Vec::new() };
    let mut report = Report::new();
    Logs::check(&input, &Settings::default(), &mut report).unwrap();
    assert_eq!(report.checked.len(), 1);
    assert_eq!(root(&report.findings).map(|f| f.rule.id), Some("ci/signed-url-expired"));

    let off = Settings::from_config(None, [("ci/signed-url-expired", "off")], Logs::rules()).unwrap();
    let mut report = Report::new();
    Logs::check(&input, &off, &mut report).unwrap();
    assert_eq!(report.checked.len(), 1);
    assert!(report.findings.iter().all(|f| f.rule.id != "ci/signed-url-expired"), "{:#?}", report.findings);

    let input = Input { logs: vec!["tests/fixtures/rules/missing.log".into()], rules: vec!["missing.toml".into()] };
    let err = Logs::check(&input, &Settings::default(), &mut Report::new()).unwrap_err();
    assert_eq!(err.to_string(), "cannot read rules file missing.toml");
    let input = Input { logs: vec!["tests/fixtures/rules/missing.log".into()], rules: Vec::new() };
    let mut report = Report::new();
    Logs::check(&input, &Settings::default(), &mut report).unwrap();
    assert!(
        report.errors[0].message.starts_with("cannot open tests/fixtures/rules/missing.log"),
        "{:?}",
        report.errors
    );
}
