//! No known secret shape survives any output format, present or future (the test loops over
//! `Format::ALL`), whatever text surrounds it and whichever field carries it; and the human
//! format never passes on control characters or a line GitHub would parse as a command.

use proptest::prelude::*;
use shipcheck_report::render::{render, Format, HumanOptions};
use shipcheck_report::{Checked, Finding, InputError, Report, Subject, Table};

shipcheck_report::declare_rule! {
    /// Test rule.
    RULE = ("test/redaction", Error, "a test rule");
}

/// A secret form with `{}` where the secret material goes, and the material's alphabet.
const FORMS: &[&str] = &[
    "+ docker login -u bob -p {} ghcr.io",
    "podman login --username bob --password {} quay.io",
    "buildah login --password={} quay.io",
    "sshpass -p {} ssh host",
    "export X=github_pat_11A{}",
    "ghp_{}{}",
    "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
    r#"{"user": "bob", "password": "{}"}"#,
    r#"{\"token\":\"{}\"}"#,
    "password: {}",
    "client_secret = '{}'",
    "//registry.npmjs.org/:_authToken={}",
    "DOCKER_PASSWORD={}",
    "GITHUB_TOKEN={}",
    "CI_JOB_TOKEN={}",
    "NPM_TOKEN={}",
    "OPENAI_API_KEY={}",
    r#"{"auths": {"ghcr.io": {"auth": "{}"}}}"#,
    "Authorization: Bearer {}",
    "authorization: Basic {}",
    "git clone https://x-access-token:{}@github.com/o/r",
    "GET https://a.blob.core.windows.net/c?se=2025-01-01T00%3A00%3A00Z&sig={}&sp=r",
    "https://s3.amazonaws.com/b/k?X-Amz-Signature={}",
    "glpat-{}",
    "curl -fsSL -u bob:{} https://x",
    "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
];

fn secret_text() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        8 => (0..FORMS.len(), "[A-Za-z0-9]{24,40}").prop_map(|(i, m)| (FORMS[i].replace("{}", &m), m)),
        // AWS key IDs: the 16 characters after the prefix are the secret.
        1 => "[A-Z0-9]{16}".prop_map(|m| (format!("AWS_ACCESS_KEY_ID=AKIA{m}"), m)),
    ]
}

/// Log-like text with hostile pieces: terminal escapes, `\r` redraws, fake workflow commands.
fn noise() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 .:/=_-]{0,12}",
        1 => Just("\x1b[2J\x1b[H".to_string()),
        1 => Just("\rALL CLEAN".to_string()),
        1 => Just("\n::error file=x::fake\n".to_string()),
        1 => Just("\n  ::warning::fake".to_string()),
        1 => Just("##[error]fake".to_string()),
        1 => Just("\u{9b}31m\u{202e}\u{85}\x07\x7f".to_string()),
        1 => Just("\u{a0}::notice::x".to_string()),
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

/// A report that carries `text` in every string field, under every locator kind.
fn report_with(text: &str) -> Report {
    let mut r = Report::new();
    let t = text.to_string();
    r.checked.push(Checked {
        input: t.clone(),
        kind: t.clone(),
        facts: vec![(t.clone(), t.clone())],
        tables: vec![Table { name: t.clone(), columns: vec![t.clone()], rows: vec![vec![t.clone()]] }],
    });
    let subjects = [
        Subject::whole(t.clone()),
        Subject::position(t.clone(), 3, Some(1)),
        Subject::entry(t.clone(), t.clone()),
        Subject::descriptor(t.clone(), t.clone()),
        Subject::platform(t.clone(), t.clone()),
    ];
    for s in subjects {
        r.findings.push(Finding::new(&RULE, s, t.clone()).evidence(t.clone(), t.clone()).remedy(t.clone()));
    }
    r.errors.push(InputError { input: t.clone(), message: t.clone() });
    r.sort();
    r
}

fn rendered(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    render(report, format, &HumanOptions { color: false }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// What the human format (and every text format a CI log may show) must never write: control characters (but newline and tab),
/// bidirectional overrides, a line GitHub parses as `::command`, or a legacy `##[command]`.
fn assert_terminal_safe(text: &str) {
    for c in text.chars() {
        let control = c.is_control() && c != '\n' && c != '\t';
        assert!(!control && !('\u{202a}'..='\u{202e}').contains(&c), "{c:?} in human output:\n{text}");
    }
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("::"), "workflow command in human output: {line:?}");
    }
    assert!(!text.contains("##["), "legacy workflow command in human output:\n{text}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn no_secret_survives_any_format((secret, material) in secret_text(), before in noise(), after in noise()) {
        let text = format!("{before} {secret} {after}");
        let report = report_with(&text);
        for &format in Format::ALL {
            let out = rendered(&report, format);
            prop_assert!(!out.contains(&material), "{} output leaks {material}:\n{out}", format.name());
        }
        // Redacting twice changes nothing (triage redacts evidence, then the renderer again).
        let once = shipcheck_report::redact::redact(&text);
        prop_assert_eq!(shipcheck_report::redact::redact(&once), once.clone());
    }

    #[test]
    fn human_output_carries_no_control_or_command(before in noise(), after in noise()) {
        let report = report_with(&format!("{before}layer{after}"));
        // The text formats a CI log may show.
        for format in [Format::Human, Format::Markdown, Format::Junit, Format::Concise] {
            assert_terminal_safe(&rendered(&report, format));
        }
        // Concise stays one line per finding and input error, whatever the text holds.
        prop_assert_eq!(rendered(&report, Format::Concise).lines().count(), report.findings.len() + report.errors.len());
        // The github format escapes newlines its own way (%0A); no other control passes either.
        let github = rendered(&report, Format::Github);
        prop_assert!(!github.chars().any(|c| c.is_control() && c != '\n'), "{github:?}");
    }
}

#[test]
fn every_format_has_a_name_that_parses() {
    assert!(Format::ALL.len() >= 4);
    for &f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
    assert!("yaml".parse::<Format>().unwrap_err().to_string().contains("human, json, sarif, github"));
}

/// Defects 4 and 22: the human format's source snippet, read back from the file, is redacted
/// and escaped like every other field.
#[test]
fn snippets_are_redacted_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("job.log");
    std::fs::write(
        &log,
        "ok\n::error::x docker login -u bob -p hunter2secret \x1b[2J ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
    )
    .unwrap();
    let mut r = Report::new();
    r.findings.push(Finding::new(&RULE, Subject::position(log.display().to_string(), 2, None), "m"));
    let out = rendered(&r, Format::Human);
    assert!(out.contains(" 2 |"), "a snippet is shown: {out}");
    assert!(!out.contains("hunter2secret") && !out.contains("ghp_abcdef"), "{out}");
    assert_terminal_safe(&out);
}
