use serde::Serialize;

use crate::{Finding, Severity};

/// Version of the JSON output schema (docs/json-schema.md). Bump on any incompatible change.
pub const SCHEMA_VERSION: &str = "shipcheck.report/v1";

/// An input that could not be checked at all (unreadable, unsupported). Exit status 2.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InputError {
    pub input: String,
    pub message: String,
}

/// A summary of one input that was checked, so a clean report still says what it covered.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Checked {
    pub input: String,
    /// What shipcheck took the input to be, e.g. `docker-archive` or `oci-layout`.
    pub kind: String,
    /// Counts and facts, e.g. `images = 2`, `blobs_verified = 7`.
    pub facts: Vec<(String, String)>,
    /// Structured results that are rows of a table, e.g. one row per engine.
    pub tables: Vec<Table>,
}

impl Checked {
    pub fn new(input: impl Into<String>, kind: impl Into<String>, facts: Vec<(String, String)>) -> Checked {
        Checked { input: input.into(), kind: kind.into(), facts, tables: Vec::new() }
    }
}

/// A table of results about one input: JSON gives its rows as objects keyed by the columns.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Table {
    /// A stable name, e.g. `engines`.
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything one run found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub checked: Vec<Checked>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// Where a command looked for inputs of its kind and found none (`./.github/workflows`,
    /// `PATH and engine configs`): with nothing checked, the exit status is 3, and the places are
    /// said, so that "no findings" never hides "nothing was looked at".
    pub looked: Vec<String>,
    /// The repository root that file artifacts are reported relative to (SARIF `%SRCROOT%`,
    /// GitLab paths, fingerprints). `None`: the nearest ancestor of the first local input, else
    /// of the current directory, that holds `.git` or `.github`, else the current directory
    /// ([`crate::fingerprint::repository_root`]).
    pub root: Option<std::path::PathBuf>,
    /// The command that produced the report (`workflows`, `image`, …): SARIF's
    /// `automationDetails.id` (`shipcheck/workflows/`), so code scanning keeps one analysis per
    /// command. `None` gives `shipcheck/`.
    pub command: Option<String>,
}

impl Report {
    pub fn new() -> Self {
        Report::default()
    }

    /// Sorts findings by artifact, then severity (worst first), then place, then rule, so that
    /// every renderer and every run gives the same order whatever order checks ran in. The
    /// sort is stable: findings a check ranked (a log's root cause first) keep their order.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.subject.artifact, std::cmp::Reverse(a.severity), &a.subject.locator, a.rule.id, &a.message).cmp(&(
                &b.subject.artifact,
                std::cmp::Reverse(b.severity),
                &b.subject.locator,
                b.rule.id,
                &b.message,
            ))
        });
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// 2 when an input could not be checked, 1 when a finding is at or above `fail_on`, else 0.
    /// Whether the run found nothing of its kind to check at all.
    pub fn nothing_to_check(&self) -> bool {
        self.checked.is_empty() && self.findings.is_empty() && self.errors.is_empty() && !self.looked.is_empty()
    }

    /// The exit status: 2 when an input could not be checked, 1 when a finding is at or above
    /// `fail_on`, 3 when there was nothing to check where the command looked, else 0.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else if self.nothing_to_check() {
            3
        } else {
            0
        }
    }

    /// The distinct rules that fired, in ID order.
    pub fn rules(&self) -> Vec<&'static crate::Rule> {
        let mut rules: Vec<&'static crate::Rule> = self.findings.iter().map(|f| f.rule).collect();
        rules.sort_by_key(|r| r.id);
        rules.dedup_by_key(|r| r.id);
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Finding, Subject};

    crate::declare_rule! {
        /// Test rule.
        WARN_RULE = ("test/warn", Warning, "a warning");
    }

    #[test]
    fn exit_code_follows_fail_on_and_errors() {
        let mut r = Report::new();
        assert_eq!(r.exit_code(Severity::Error), 0);
        r.findings.push(Finding::new(&WARN_RULE, Subject::whole("x"), "m"));
        assert_eq!(r.exit_code(Severity::Error), 0);
        assert_eq!(r.exit_code(Severity::Warning), 1);
        assert_eq!(r.exit_code(Severity::Note), 1);
        r.errors.push(InputError { input: "y".into(), message: "unreadable".into() });
        assert_eq!(r.exit_code(Severity::Error), 2);
        // Nothing of its kind where it looked: 3; anything checked makes it 0 again.
        let mut empty = Report::new();
        assert_eq!(empty.exit_code(Severity::Error), 0);
        empty.looked.push("./.github/workflows".into());
        assert_eq!(empty.exit_code(Severity::Error), 3);
        empty.checked.push(Checked::new("x", "workflow", Vec::new()));
        assert_eq!(empty.exit_code(Severity::Error), 0);
    }
}
