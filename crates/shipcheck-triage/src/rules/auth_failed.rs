//! `ci/auth-failed`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Authentication or authorization refused by a registry or cloud API.
    ///
    /// ## Why it breaks releases
    /// The build is fine; the push is not allowed (missing login, token scope, package
    /// permissions).
    ///
    /// ## Fix
    /// Log in before pushing, and grant the token write access to the repository (for GHCR:
    /// `permissions: packages: write`).
    ///
    /// ## Example
    /// `denied: requested access to the resource is denied`.
    pub RULE = ("ci/auth-failed", Error, "the registry or API refused the credentials");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["auth"];

/// The fix when the signature names none.
const REMEDY: &str = "Log in before this step and give the token access to this repository.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra { credential_age: true, ..Extra::default() }));
    }
}
