//! `ci/packaging-failed`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Downstream packaging failures: rpmbuild sections, Koji NVR clashes and targets, missing
    /// build dependencies, packit syncs into dist-git.
    ///
    /// ## Why it breaks releases
    /// The upstream release is out; the distribution update fails after it (crun 1.16/1.17:
    /// `files_to_sync` into a nested path needed `mkpath: true`).
    ///
    /// ## Fix
    /// See the signature's remedy; `shipcheck package` checks packaging metadata first.
    ///
    /// ## Example
    /// `rsync: [Receiver] change_dir#3 "/tmp/packit-dist-git…/dist" failed: No such file or directory (2)`.
    pub RULE = ("ci/packaging-failed", Error, "a packaging step failed");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["packaging"];

/// The fix when the signature names none.
const REMEDY: &str = "Fix the packaging metadata named in the evidence; `shipcheck package` checks it before release.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
