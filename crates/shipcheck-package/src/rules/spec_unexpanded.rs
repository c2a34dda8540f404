//! `package/spec-unexpanded`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// `Name`, `Version` or `Release` that uses a macro the spec does not define, so its
    /// value cannot be known without the build system.
    ///
    /// ## Why it matters
    /// The checks that need the value are skipped; shipcheck never guesses it.
    ///
    /// ## Fix
    /// Nothing, if the macro comes from the build system; otherwise define it with `%global`.
    ///
    /// ## Example
    /// `Version: %{upstream_version}` with no `%global upstream_version`.
    pub RULE = ("package/spec-unexpanded", Note, "a spec value cannot be expanded");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(s) = &facts.spec else { return };
    for u in &s.unexpanded {
        out.push(Finding::new(&RULE, s.at(u.line), format!("{}: {}", u.tag, u.error)).evidence("value", &u.raw));
    }
}
