//! GitLab Code Quality: a JSON array of issues, as the merge-request widget reads it
//! (docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): `description`,
//! `check_name`, `fingerprint`, `severity` and `location.path` / `location.lines.begin`.
//!
//! Severity: error → `critical`, warning → `major`, note → `info`; an input that could not be
//! checked → `blocker`. Paths are relative to the repository root; an artifact that is not a
//! file of the repository (`docker://…`, a runtime) keeps its name, at line 1. GitLab keeps one
//! issue per fingerprint, so a repeat of the same finding gets a fingerprint of its own
//! ([`crate::fingerprint::fingerprints`]).

use serde_json::{json, Value};

use crate::fingerprint::{self, artifact_key, repository_file};
use crate::{Locator, Report, Severity};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

pub(super) fn to_value(report: &Report) -> Value {
    let root = fingerprint::repository_root(report);
    let path = |artifact: &str| repository_file(artifact, &root).unwrap_or_else(|| artifact_key(artifact, &root));
    let mut issues: Vec<Value> = report
        .findings
        .iter()
        .zip(fingerprint::fingerprints(report))
        .map(|(f, fp)| {
            let line = match f.subject.locator {
                Locator::Position { line, .. } => line.max(1),
                _ => 1,
            };
            let mut description = super::placed_message(f);
            if !f.remedy.is_empty() {
                description.push_str(&format!(" Fix: {}", f.remedy));
            }
            json!({
                "description": description,
                "check_name": f.rule.id,
                "fingerprint": if fp.contains(':') { fingerprint::hex_digest(&fp) } else { fp },
                "severity": severity(f.severity),
                "location": {"path": path(&f.subject.artifact), "lines": {"begin": line}},
            })
        })
        .collect();
    for e in &report.errors {
        let fp = fingerprint::hex_digest(&format!("shipcheck/v1\0cannot-check\0{}", artifact_key(&e.input, &root)));
        issues.push(json!({
            "description": format!("cannot check: {}", e.message),
            "check_name": "shipcheck/cannot-check",
            "fingerprint": fp,
            "severity": "blocker",
            "location": {"path": path(&e.input), "lines": {"begin": 1}},
        }));
    }
    Value::Array(issues)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn code_quality_issues() {
        let mut report = fixture::report();
        report.root = Some(std::env::current_dir().unwrap());
        let v = to_value(&report);
        insta::assert_json_snapshot!(v);
        let issues = v.as_array().unwrap();
        let mut fps: Vec<&str> = issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
        fps.sort_unstable();
        fps.dedup();
        assert_eq!(fps.len(), issues.len(), "one fingerprint per issue");
        for i in issues {
            for key in ["description", "check_name", "fingerprint", "severity"] {
                assert!(i[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {i}");
            }
            assert!(["info", "minor", "major", "critical", "blocker"].contains(&i["severity"].as_str().unwrap()));
            assert!(i["location"]["path"].is_string() && i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        }
    }
}
