//! `ci/network-failure`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Network failures: DNS, TLS handshakes, timeouts, resets, a runner losing its server.
    ///
    /// ## Why it breaks releases
    /// Usually transient; repeated, it points at a proxy, a firewall or an overloaded runner.
    ///
    /// ## Fix
    /// Re-run; if it repeats, check the runner's network, DNS and proxy settings.
    ///
    /// ## Example
    /// `net/http: TLS handshake timeout`.
    pub RULE = ("ci/network-failure", Error, "a network operation failed");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["network"];

/// The fix when the signature names none.
const REMEDY: &str = "Re-run; if it repeats, check the runner's network, DNS and proxy.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        out.push(facts.finding(&RULE, cause, REMEDY, Extra::default()));
    }
}
