//! `runtime/features-invalid`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, FeaturesFact};

declare_rule! {
    /// ## What it catches
    /// A `features` command that exits 0 but prints something that is not a JSON object.
    ///
    /// ## Why it matters
    /// Callers that parse it fail or fall back to the least capable behaviour.
    ///
    /// ## Fix
    /// Upgrade the runtime, or report the bug to its maintainers.
    ///
    /// ## Example
    /// `features output is not JSON: expected value at line 1 column 1`.
    pub RULE = ("runtime/features-invalid", Warning, "the features document cannot be read");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    if let (Some(_), FeaturesFact::Invalid(e)) = (&facts.identity, &facts.features) {
        out.push(
            Finding::new(&RULE, facts.subject(), e.to_string())
                .remedy("Upgrade the runtime, or report the bug to its maintainers."),
        );
    }
}
