//! `ci/build-step-failed`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// A build step that failed for a reason no more specific signature names: a RUN
    /// command's exit code, a missing build-context file, or (as a last resort) a step's
    /// non-zero exit.
    ///
    /// ## Why it breaks releases
    /// It is the job's own code failing; the evidence lines say which command.
    ///
    /// ## Fix
    /// Read the evidence; run the failing command locally in the same image.
    ///
    /// ## Example
    /// `failed to compute cache key: failed to calculate checksum of ref …: "/dist": not found`.
    pub RULE = ("ci/build-step-failed", Error, "a build step failed");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["build-step"];

/// The fix when the signature names none.
const REMEDY: &str = "Read the evidence lines; run the failing command locally in the same image.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
