//! `ci/image-not-in-store`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// An image that exists, but not under the name or in the store where the next command
    /// looks: a build that was never loaded (`--load`/`--push` missing with a buildx builder),
    /// an archive loaded as `localhost/latest:latest` or with a `docker.io/` prefix, a tag that
    /// was never made, podman trying registries for a short name that is only local.
    ///
    /// ## Why it breaks releases
    /// The error reads like a registry or permission problem (`pull access denied`,
    /// `manifest unknown`), so the fix goes to the credentials while the image sits in another
    /// store or under another name.
    ///
    /// ## Fix
    /// Load the build into the store the next step reads (`--load`, `podman load`), and refer
    /// to the image by the exact name it was loaded under (`docker images`, `podman images`).
    ///
    /// ## Example
    /// `An image does not exist locally with the tag: ghcr.io/acme/app`.
    pub RULE = ("ci/image-not-in-store", Error, "the image is not in the store under the name used");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["image-store"];

/// The fix when the signature names none.
const REMEDY: &str =
    "Load the image into the store the next step reads (--load, podman load) and use the exact name it was loaded under.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
