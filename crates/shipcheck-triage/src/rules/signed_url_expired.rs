//! `ci/signed-url-expired`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// A signed URL (Azure SAS, S3/GCS presigned) used after its validity window, e.g. the
    /// GitHub Actions cache (`type=gha`) blob URLs that BuildKit fetches during a push.
    ///
    /// ## Why it breaks releases
    /// The URL is issued when the cache import starts and used when the push exports the cache
    /// many minutes later; past its ~10 minute window the storage answers 403
    /// `Signature not valid in the specified time frame` (mirrord 3.137.0, moby/buildkit#3239).
    ///
    /// ## Fix
    /// Re-acquire the credential right before it is used: split build and push, keep
    /// `cache-to: type=gha,…,ignore-error=true`, or move the cache to a registry.
    ///
    /// ## Example
    /// `Start [Wed, 26 Mar 2025 22:26:21 GMT] - Expiry [Wed, 26 Mar 2025 22:36:26 GMT] - Current [Wed, 26 Mar 2025 22:40:25 GMT]`:
    /// valid 10 min, used 4 min after expiry.
    pub RULE = ("ci/signed-url-expired", Error, "a signed URL expired before it was used");
}

/// The signature classes this rule reports: none of its own; it reports the credential-expiry
/// signatures that name it (`rule = "ci/signed-url-expired"`).
pub(crate) const CLASSES: &[&str] = &[];

/// The fix when the signature names none.
const REMEDY: &str = "Re-acquire the credential right before it is used: split build and push, or add ignore-error=true to cache-to.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra { credential_age: true, ..Extra::default() }));
    }
}
