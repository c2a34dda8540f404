//! `package/changelog`.

use shipcheck_report::{declare_rule, Finding, Severity};

use crate::facts::{Facts, SpecFacts};
use crate::spec::entry_header;

declare_rule! {
    /// ## What it catches
    /// The top `%changelog` entry: a version-release that differs from the spec's, a date in
    /// the future, macros inside entries, or more than one `%changelog` section. Specs using
    /// `%autochangelog` (also inside `%if`) are exempt from the entry checks; conditionals are
    /// not entries. Under packit the version-release is compared only with `sync_changelog:
    /// true`: otherwise packit keeps dist-git's changelog and writes the new entry itself.
    ///
    /// ## Why it breaks releases
    /// rpmbuild and Fedora's tooling reject or mangle such changelogs; a future date fails
    /// `rpmbuild` outright (`bogus date in %changelog`).
    ///
    /// ## Fix
    /// Add an entry for the new version-release with today's date, escape `%` as `%%`, keep
    /// one `%changelog`.
    ///
    /// ## Example
    /// `Version: 1.17`, `Release: 1`, top entry `- 1.16-1`.
    pub RULE = ("package/changelog", Error, "the top %changelog entry does not match the spec");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(s) = &facts.spec else { return };
    let spec = &s.spec;
    let at = |line: usize| s.at(Some(line));
    if spec.changelogs.len() > 1 {
        out.push(
            Finding::new(
                &RULE,
                at(spec.changelogs[1]),
                format!("{} %changelog sections; rpm reads one", spec.changelogs.len()),
            )
            .remedy("Merge them into one %changelog at the end of the spec."),
        );
    }
    if spec.autochangelog {
        return;
    }
    let Some((header, line)) = &spec.top_entry else { return };
    let Some((date, evr)) = entry_header(header) else { return };
    if let (Some(v), Some(r), Some(evr)) = (&s.version, &s.release, evr.as_deref()) {
        // packit replaces the version and keeps dist-git's entries unless sync_changelog is set.
        if !r.contains("%autorelease") && !s.changelog_kept_downstream && !s.version_placeholder() {
            let want = format!("{v}-{r}");
            let have = evr.split_once(':').map_or(evr, |(_, rest)| rest);
            if have != want && !want.starts_with(&format!("{have}.")) {
                out.push(
                    Finding::new(
                        &RULE,
                        at(*line),
                        format!("the top %changelog entry is for {have}, the spec builds {want}"),
                    )
                    .evidence("entry", header.as_str())
                    .remedy(format!("Add a %changelog entry for {want}.")),
                );
            }
        }
    }
    if parse_date(&date).is_some_and(|d| d > s.today) {
        out.push(
            Finding::new(&RULE, at(*line), format!("the top %changelog entry is dated in the future ({date})"))
                .remedy("Use today's date; rpmbuild rejects future dates."),
        );
    }
    macros(s, out);
}

/// Macros in entries are expanded by rpm at build time: they should be escaped.
fn macros(s: &SpecFacts, out: &mut Vec<Finding>) {
    let entries = s.text.lines().enumerate().skip(s.spec.changelogs.last().copied().unwrap_or(0));
    if let Some((i, l)) =
        entries.filter(|(_, l)| !l.trim_start().starts_with('*') && !directive(l)).find(|(_, l)| l.replace("%%", "").contains('%'))
    {
        out.push(
            Finding::new(&RULE, s.at(Some(i + 1)), "a %changelog entry contains a macro; rpm expands it at build time")
                .severity(Severity::Warning)
                .evidence("line", l.trim())
                .remedy("Escape % as %% in changelog text."),
        );
    }
}

/// A line rpm reads as a directive, not as changelog text: conditionals (`%if %{defined
/// autochangelog}` … `%else` … `%endif`, which rpm evaluates in every section) and
/// `%autochangelog`.
fn directive(line: &str) -> bool {
    let w = line.split_whitespace().next().unwrap_or_default();
    matches!(w, "%if" | "%ifarch" | "%ifnarch" | "%ifos" | "%ifnos" | "%elif" | "%elifarch" | "%elifos" | "%else" | "%endif" | "%autochangelog")
}

/// `Tue Jul 02 2024` → (2024, 7, 2).
fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let w: Vec<&str> = s.split_whitespace().collect();
    let name = *w.get(1)?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == name)? as u32
        + 1;
    Some((w.get(3)?.parse().ok()?, month, w.get(2)?.parse().ok()?))
}
