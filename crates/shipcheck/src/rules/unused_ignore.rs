//! `suppress/unused-ignore`.

use shipcheck_report::declare_rule;

declare_rule! {
    /// ## What it catches
    /// A `# shipcheck: ignore[RULE] reason` comment, in a file shipcheck checked or reported
    /// on, that ignored no finding: the rule no longer fires there, the comment sits on the
    /// wrong line, or the rule ID is misspelt.
    ///
    /// ## Why it matters
    /// A stale ignore reads as "this is known and accepted" and will silently hide the next,
    /// different problem of that rule on that line.
    ///
    /// ## Fix
    /// Remove the comment, or correct its rule ID (`shipcheck explain` lists them). A comment
    /// counts on the finding's line or the line before it; for a finding that lists several
    /// places (`places`), at any of them.
    ///
    /// ## Example
    /// `# shipcheck: ignore[workflow/platform-drit]` above a step that has no such finding.
    pub RULE = ("suppress/unused-ignore", Note, "an inline ignore comment that ignored nothing");
}
