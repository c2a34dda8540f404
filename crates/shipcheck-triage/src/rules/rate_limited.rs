//! `ci/rate-limited`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Rate limiting: Docker Hub pull limits, 429 from registries or the Actions cache.
    ///
    /// ## Why it breaks releases
    /// Shared runners pull anonymously from shared addresses and hit limits at random.
    ///
    /// ## Fix
    /// Authenticate pulls, use a mirror or cache, and retry with back-off.
    ///
    /// ## Example
    /// `toomanyrequests: You have reached your pull rate limit`.
    pub RULE = ("ci/rate-limited", Error, "a service rate-limited the job");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["rate-limit"];

/// The fix when the signature names none.
const REMEDY: &str = "Authenticate, use a mirror or cache, and retry with back-off.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
