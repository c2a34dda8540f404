//! `runtime/renamed`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{version_label, Facts};

declare_rule! {
    /// ## What it catches
    /// A runtime installed under another runtime's name, e.g. crun installed as `runc`.
    ///
    /// ## Why it matters
    /// Callers and people assume the name: BuildKit passes runc's flags to whatever `runc` is,
    /// and bug reports name the wrong runtime.
    ///
    /// ## Fix
    /// Nothing, if every caller's flags are accepted (see runtime/missing-flag); otherwise
    /// install the real runc, or configure callers with the true name.
    ///
    /// ## Example
    /// `runc is crun 1.8.1`.
    pub RULE = ("runtime/renamed", Note, "a runtime installed under another runtime's name");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(id) = &facts.identity else { return };
    if !facts.renamed() {
        return;
    }
    out.push(
        Finding::new(&RULE, facts.subject(), format!("{} is {}", facts.installed_as, version_label(id)))
            .evidence("installed_as", &facts.installed_as)
            .evidence("version_output", facts.observation.version.first_line())
            .remedy("Make sure every caller's flags are accepted (see runtime/missing-flag), or install the runtime under its own name."),
    );
}
