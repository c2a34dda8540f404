//! Renderers: one function per output format, all over the same [`Report`].
//!
//! [`render`] redacts the whole report before any format sees it (see [`crate::redact`]), so a
//! format cannot leak a secret by forgetting to redact a field, and [`Format::ALL`] lists every
//! format so tests cover each one, present or future.

use std::io::{self, Write};
use std::str::FromStr;

use crate::Report;

mod concise;
mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;

pub use human::HumanOptions;

/// Declares [`Format`] and [`Format::ALL`] from one list, so ALL cannot miss a variant.
macro_rules! formats {
    ($($variant:ident = $name:literal: $help:literal),+ $(,)?) => {
        /// The output formats, as named by `--format`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Format {
            $($variant),+
        }

        impl Format {
            /// Every format, in `--format` order.
            pub const ALL: &'static [Format] = &[$(Format::$variant),+];

            /// The name `--format` takes.
            pub fn name(self) -> &'static str {
                match self {
                    $(Format::$variant => $name),+
                }
            }

            /// One line for `--help`.
            pub fn help(self) -> &'static str {
                match self {
                    $(Format::$variant => $help),+
                }
            }
        }
    };
}

formats! {
    Human = "human": "Compact text grouped by input, coloured on a terminal",
    Json = "json": "Versioned JSON (docs/json-schema.md)",
    Sarif = "sarif": "SARIF 2.1.0, for GitHub code scanning",
    Github = "github": "GitHub Actions annotations (::error file=…::)",
    Markdown = "markdown": "Markdown tables per area, for $GITHUB_STEP_SUMMARY and pull-request comments",
    Gitlab = "gitlab": "GitLab Code Quality JSON",
    Junit = "junit": "JUnit XML: a test suite per area, a test case per finding",
    Concise = "concise": "One line per finding: path:line:col: severity rule message",
}

/// A format name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`: expected one of {names}", names = Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        Format::ALL.iter().copied().find(|f| f.name() == s).ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// Writes `report` in `format`, redacted. `human` decides colour; the other formats ignore it.
/// Text formats that a CI log may show (markdown, junit, concise) also go through
/// [`crate::escape::workflow_commands`], as the human format does.
pub fn render(report: &Report, format: Format, human: &HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    let report = &crate::redact::report(report);
    let text = |write: fn(&Report, &mut dyn Write) -> io::Result<()>, out: &mut dyn Write| {
        let mut buf = Vec::new();
        write(report, &mut buf)?;
        out.write_all(crate::escape::workflow_commands(&String::from_utf8_lossy(&buf)).as_bytes())
    };
    match format {
        Format::Human => human::render(report, human, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json::to_value(report))?;
            writeln!(out)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif::to_value(report))?;
            writeln!(out)
        }
        Format::Github => github::render(report, out),
        Format::Markdown => text(markdown::render, out),
        Format::Junit => text(junit::render, out),
        Format::Concise => text(concise::render, out),
        Format::Gitlab => {
            serde_json::to_writer_pretty(&mut *out, &gitlab::to_value(report))?;
            writeln!(out)
        }
    }
}

/// Where a finding is, in one line: `artifact:line:col`, `artifact:line`, `artifact place`
/// (an entry, a digest, a platform) or the artifact.
fn located(subject: &crate::Subject) -> String {
    use crate::Locator;
    match &subject.locator {
        Locator::Position { line, column: Some(c) } => format!("{}:{line}:{c}", subject.artifact),
        Locator::Position { line, column: None } => format!("{}:{line}", subject.artifact),
        _ => match subject.place() {
            Some(place) => format!("{} {place}", subject.artifact),
            None => subject.artifact.clone(),
        },
    }
}

/// The message, after the place inside the artifact when that is not a line (`sha256:…: layer
/// content does not match`), for formats that show the place nowhere else.
fn placed_message(f: &crate::Finding) -> String {
    match f.subject.place().filter(|_| !matches!(f.subject.locator, crate::Locator::Position { .. })) {
        Some(place) => format!("{place}: {}", f.message),
        None => f.message.clone(),
    }
}

/// `1 error`, `2 errors`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The JSON report as a value, redacted.
pub fn json_value(report: &Report) -> serde_json::Value {
    json::to_value(&crate::redact::report(report))
}

/// The SARIF log as a value, redacted.
pub fn sarif_value(report: &Report) -> serde_json::Value {
    sarif::to_value(&crate::redact::report(report))
}

/// What a rule reports, as a reviewer reads it in a snapshot: the human rendering (no colour)
/// followed by the JSON `findings` array. Every rule's fixture test snapshots this, so a change
/// to a message, evidence or fix shows up in review in both forms.
pub fn findings_for_review(findings: Vec<crate::Finding>) -> String {
    let mut report = Report::new();
    report.findings = findings;
    report.sort();
    let text = |format| {
        let mut out = Vec::new();
        render(&report, format, &HumanOptions { color: false }, &mut out).expect("rendering to memory");
        String::from_utf8(out).expect("renderers write UTF-8")
    };
    let json: serde_json::Value = serde_json::from_str(&text(Format::Json)).expect("the JSON renderer writes JSON");
    format!("{}\n{:#}", text(Format::Human), json["findings"])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `report` rendered in `format`, through [`render`] (redaction included).
    pub(crate) fn rendered(report: &Report, format: Format) -> String {
        let mut out = Vec::new();
        render(report, format, &HumanOptions { color: false }, &mut out).expect("rendering to memory");
        String::from_utf8(out).expect("renderers write UTF-8")
    }

    #[test]
    fn every_format_renders_the_same_findings() {
        let report = fixture::report();
        for &format in Format::ALL {
            let text = rendered(&report, format);
            for needle in ["image/blob-digest-mismatch", "workflow/platform-drift", "corrupt.tar", "release.yml"] {
                assert!(text.contains(needle), "{} lacks {needle}:\n{text}", format.name());
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    use crate::{Checked, Finding, InputError, Report, Severity, Subject};

    crate::declare_rule! {
        /// ## What it catches
        /// A layer whose bytes do not hash to its digest.
        pub(crate) DIGEST = ("image/blob-digest-mismatch", Error, "blob content does not match its digest");
    }
    crate::declare_rule! {
        /// ## What it catches
        /// A workflow thing.
        pub(crate) DRIFT = ("workflow/platform-drift", Warning, "platform built after merge only");
    }

    /// A fixed report that exercises every locator kind and severity.
    pub(crate) fn report() -> Report {
        let mut r = Report::new();
        r.checked.push(Checked::new(
            "corrupt.tar",
            "docker-archive",
            vec![("images".into(), "1".into()), ("blobs_verified".into(), "3".into())],
        ));
        r.findings.push(
            Finding::new(
                &DIGEST,
                Subject::descriptor("corrupt.tar", "sha256:aaaa"),
                "layer content does not match its digest",
            )
            .evidence("declared", "sha256:aaaa")
            .evidence("actual", "sha256:bbbb")
            .remedy("Re-export the image from a store that has intact layers."),
        );
        r.findings.push(
            Finding::new(
                &DRIFT,
                Subject::position(".github/workflows/release.yml", 12, Some(7)),
                "riscv64, built on push: only",
            )
            .evidence("platforms", "linux/riscv64")
            .severity(Severity::Warning),
        );
        r.findings.push(
            Finding::new(&DRIFT, Subject::platform("img.tar", "linux/arm64"), "note it").severity(Severity::Note),
        );
        r.errors.push(InputError {
            input: "missing.tar".into(),
            message: "cannot open missing.tar: No such file or directory".into(),
        });
        r.sort();
        r
    }
}
