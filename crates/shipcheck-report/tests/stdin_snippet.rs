//! Defect 23: a finding on `-` (standard input) never takes its snippet from a file named `-`
//! in the working directory. Its own test binary: it changes the working directory.

use shipcheck_report::render::{render, Format, HumanOptions};
use shipcheck_report::{Finding, Report, Subject};

shipcheck_report::declare_rule! {
    /// Test rule.
    RULE = ("test/stdin", Error, "a test rule");
}

#[test]
fn stdin_is_never_reread_from_a_file_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("-"), "unrelated file line one\n").unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let mut r = Report::new();
    r.findings.push(Finding::new(&RULE, Subject::position("-", 1, None), "from stdin"));
    let mut out = Vec::new();
    render(&r, Format::Human, &HumanOptions::default(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("from stdin"), "{out}");
    assert!(!out.contains("unrelated file"), "snippet read from ./-: {out}");
}
