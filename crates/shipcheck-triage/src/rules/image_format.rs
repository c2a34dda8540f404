//! `ci/image-format`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// An archive or manifest that the engine cannot read or that is the wrong kind: a
    /// multi-platform image exported to the docker store, a container export (`docker export`)
    /// given to `docker load`, an OCI manifest or media type an old engine does not know.
    /// (An image that is there under another name is `ci/image-not-in-store`.)
    ///
    /// ## Why it breaks releases
    /// The image is built but the next step cannot load or pull it.
    ///
    /// ## Fix
    /// See the signature's remedy; `shipcheck image` checks archives before they ship.
    ///
    /// ## Example
    /// `docker exporter does not currently support exporting manifest lists`.
    pub RULE = ("ci/image-format", Error, "an image archive or manifest cannot be read or is the wrong kind");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["image-format"];

/// The fix when the signature names none.
const REMEDY: &str = "Check the image with `shipcheck image` and load or export it in a form the engine reads.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
