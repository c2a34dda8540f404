//! `ci/resources-exhausted`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Exhausted resources: disk, memory (exit code 137, `Killed`), the job's time limit.
    ///
    /// ## Why it breaks releases
    /// Release builds are the biggest (all platforms, no cache) and hit limits first.
    ///
    /// ## Fix
    /// Free disk space, lower parallelism, raise timeout-minutes, or use a larger runner.
    ///
    /// ## Example
    /// `no space left on device`.
    pub RULE = ("ci/resources-exhausted", Error, "the job ran out of disk, memory or time");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["resources"];

/// The fix when the signature names none.
const REMEDY: &str = "Free disk space, lower parallelism, raise timeout-minutes, or use a larger runner.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
