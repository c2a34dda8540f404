//! `ci/credential-expired`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// A registry or cloud credential that expired while the job ran (ECR tokens, AWS
    /// session credentials, OIDC-issued tokens).
    ///
    /// ## Why it breaks releases
    /// Credentials fetched at the start of a long job are stale by the push at its end.
    ///
    /// ## Fix
    /// Log in right before pushing, or lengthen the credential's lifetime.
    ///
    /// ## Example
    /// `denied: Your authorization token has expired. Reauthenticate and try again.`
    pub RULE = ("ci/credential-expired", Error, "a credential expired during the job");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["credential-expiry"];

/// The fix when the signature names none.
const REMEDY: &str = "Log in right before the step that failed, or lengthen the credential's lifetime.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra { credential_age: true, ..Extra::default() }));
    }
}
