//! `ci/registry-error`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// A registry answering with a distribution-spec error code (MANIFEST_INVALID,
    /// BLOB_UNKNOWN, DIGEST_INVALID, NAME_UNKNOWN, …).
    ///
    /// ## Why it breaks releases
    /// The push or pull violates what the registry accepts (missing blobs, bad manifests,
    /// wrong names), or the registry lost state mid-upload.
    ///
    /// ## Fix
    /// See the signature's remedy; verify the image with `shipcheck image` and push again.
    ///
    /// ## Example
    /// `blob unknown: blob unknown to registry`.
    pub RULE = ("ci/registry-error", Error, "the registry rejected a request");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["registry-protocol"];

/// The fix when the signature names none.
const REMEDY: &str = "Verify the image with `shipcheck image`, then push again.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
