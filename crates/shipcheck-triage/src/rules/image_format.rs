//! `ci/image-format`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Image format and image store problems: loading multi-platform images into the docker
    /// store, archives an engine cannot read, images loaded under an unexpected name.
    ///
    /// ## Why it breaks releases
    /// The image is built but cannot be loaded or found where the next step expects it.
    ///
    /// ## Fix
    /// See the signature's remedy; `shipcheck image` checks archives before they ship.
    ///
    /// ## Example
    /// `docker exporter does not currently support exporting manifest lists`.
    pub RULE = ("ci/image-format", Error, "an image could not be exported, loaded or found");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["image-format"];

/// The fix when the signature names none.
const REMEDY: &str = "Check the image with `shipcheck image` and load or export it in a form the engine reads.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
