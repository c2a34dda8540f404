//! What a transfer from a registry measured, for the rules in `src/rules/` to read.

use shipcheck_report::Finding;

use crate::error::Error;

/// The outcome of reading one image from its registry.
pub struct Facts<'a> {
    /// How the report names the image (`docker://…`).
    pub display: &'a str,
    /// Documents and blobs (by digest) the registry would not serve, with its answer: any
    /// error but "not found", which the image verifier reports as missing. Credentials the
    /// client holds are already masked.
    pub unreadable: &'a [(String, Error)],
}

/// Runs the rules `enabled` accepts over `facts`.
pub fn check_enabled(facts: &Facts, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    crate::rules::run(facts, enabled, &mut out);
    out
}
