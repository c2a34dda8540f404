//! `ci/no-failure-found`.

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A log in which neither a signature nor the shape of a failure (an error line, a failed
    /// step, a non-zero exit status) was found.
    ///
    /// ## Why it breaks releases
    /// It does not: it says the log was read and what was not found, so an empty report is not
    /// mistaken for a diagnosis. If the job did fail, the log given is probably not the one of
    /// the failing step, or it was cut before the failure.
    ///
    /// ## Fix
    /// Give the whole log of the failed job (for GitHub Actions, the log archive or the failing
    /// step's log).
    ///
    /// ## Example
    /// A log that ends with `Successfully built 0d3f5e8a1b2c`.
    pub RULE = ("ci/no-failure-found", Note, "no failure was found in the log");
}

/// The signature classes this rule reports: none.
pub(crate) const CLASSES: &[&str] = &[];

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    if !facts.causes.is_empty() || facts.failure.is_some() {
        return;
    }
    let lines = facts.scanned.lines;
    let subject = Subject::whole(facts.artifact);
    out.push(
        Finding::new(&RULE, subject, format!("no failure found in {lines} lines"))
            .evidence("lines", lines)
            .remedy("If the job failed, give the log of the failing step, whole."),
    );
}
