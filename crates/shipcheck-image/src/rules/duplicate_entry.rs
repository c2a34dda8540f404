//! `image/duplicate-entry`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A tar archive with two members of the same name.
    ///
    /// ## Why it breaks releases
    /// Extraction keeps the last one and reading tools may keep the first: two engines see
    /// two different images. shipcheck verifies the last one, as extraction would.
    ///
    /// ## Fix
    /// Re-create the archive; never append to an image tar.
    ///
    /// ## Example
    /// `manifest.json` appears twice.
    pub RULE = ("image/duplicate-entry", Warning, "an archive member name occurs twice");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::DuplicateMember(path) = step else { continue };
        let f = Finding::new(
            &RULE,
            facts.entry_subject(path),
            "member occurs more than once; the last one is used, as extraction would",
        )
        .remedy("Re-create the archive instead of appending to it.");
        facts.emit(out, at, f);
    }
}
