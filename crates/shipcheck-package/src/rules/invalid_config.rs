//! `package/invalid-config`.

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::facts::{Facts, Parsed};

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml that is not valid YAML, or whose top level is not a mapping.
    ///
    /// ## Why it breaks releases
    /// packit cannot run any job.
    ///
    /// ## Fix
    /// Fix the syntax; `packit config validate` checks it too.
    ///
    /// ## Example
    /// `mapping values are not allowed in this context at line 3 column 9`.
    pub RULE = ("package/invalid-config", Error, "the packit configuration cannot be read");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(c) = &facts.config else { return };
    match &c.parsed {
        Parsed::Doc(_) => {}
        Parsed::NotAMapping => {
            let s = Subject::whole(&c.artifact);
            out.push(Finding::new(&RULE, s, "the top level is not a mapping of packit keys"));
        }
        Parsed::Invalid(e) => {
            let s = Subject::position(&c.artifact, e.line, Some(e.column));
            out.push(
                Finding::new(&RULE, s, format!("not valid YAML: {e}"))
                    .remedy("Fix the syntax; `packit config validate` checks it too."),
            );
        }
    }
}
