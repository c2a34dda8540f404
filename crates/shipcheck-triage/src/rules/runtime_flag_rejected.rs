//! `ci/runtime-flag-rejected`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// An OCI runtime that rejects a flag its caller passes.
    ///
    /// ## Why it breaks releases
    /// BuildKit ≥ 0.12 passes `run --keep`; crun before 1.15 rejects it, so every RUN step
    /// fails where crun is installed as runc (moby/buildkit#4721).
    ///
    /// ## Fix
    /// Upgrade the runtime or point the caller at runc; `shipcheck runtime --for buildkit`
    /// checks a machine before a build runs.
    ///
    /// ## Example
    /// `run: unrecognized option '--keep'`.
    pub RULE = ("ci/runtime-flag-rejected", Error, "the OCI runtime rejected a flag");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["runtime-cli"];

/// The fix when the signature names none.
const REMEDY: &str = "Upgrade the OCI runtime or point the caller at runc (check with `shipcheck runtime --for buildkit`).";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
