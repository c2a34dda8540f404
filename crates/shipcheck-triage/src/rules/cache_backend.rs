//! `ci/cache-backend`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Build cache backend failures (GitHub Actions cache timeouts, busy storage).
    ///
    /// ## Why it breaks releases
    /// A cache problem fails a build that would have succeeded without the cache.
    ///
    /// ## Fix
    /// Add `ignore-error=true` to `cache-to`, so cache export failures do not fail the build.
    ///
    /// ## Example
    /// `ERROR: maximum timeout reached`.
    pub RULE = ("ci/cache-backend", Error, "the build cache backend failed");
}

/// The signature classes this rule reports: none of its own; it reports the network and
/// rate-limit signatures of cache backends, which name it (`rule = "ci/cache-backend"`).
pub(crate) const CLASSES: &[&str] = &[];

/// The fix when the signature names none.
const REMEDY: &str = "Add ignore-error=true to cache-to so cache failures do not fail the build.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
