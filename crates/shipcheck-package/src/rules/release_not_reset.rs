//! `package/release-not-reset`.

use std::cmp::Ordering;

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::evr::{rpmvercmp, Evr};
use crate::existing::strip_dist;
use crate::facts::{Facts, HistoryFacts, NvrFacts};
use crate::history::version_release;
use crate::spec::parse;

declare_rule! {
    /// ## What it catches
    /// A spec whose Version is newer than every downstream branch's (from `--existing`) but
    /// whose Release was not reset to 1. Specs using `%autorelease` are exempt.
    ///
    /// ## Why it matters
    /// Fedora's guidelines reset Release on a new version; a stale Release hides which build
    /// of the version this is and often comes from a forgotten edit.
    ///
    /// ## Fix
    /// Set `Release: 1%{?dist}` with the new Version, or use `%autorelease`.
    ///
    /// ## Example
    /// `Version: 1.17`, `Release: 3%{?dist}`, while every branch has 1.16.
    pub RULE = ("package/release-not-reset", Warning, "Release was not reset with a new Version");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    if let Some(n) = &facts.nvrs {
        against_branches(n, out);
    }
    if let Some(h) = &facts.history {
        out.extend(in_history(h));
    }
}

/// A new version starts again at Release 1 (unless %autorelease, which arrives empty here).
fn against_branches(n: &NvrFacts, out: &mut Vec<Finding>) {
    let new = &n.new;
    let ours: Vec<&Evr> = n.existing.iter().filter(|(_, m, _)| *m == n.name).map(|(_, _, e)| e).collect();
    let newest = !ours.is_empty() && ours.iter().all(|e| rpmvercmp(&new.version, &e.version) == Ordering::Greater);
    let release = strip_dist(&new.release);
    if newest && !release.is_empty() && release != "1" && !release.starts_with("0.") {
        out.push(
            Finding::new(
                &RULE,
                Subject::whole(&n.artifact),
                format!("Version {} is new in every branch, but Release is {}", new.version, new.release),
            )
            .remedy("Set `Release: 1%{?dist}` with a new Version, or use %autorelease."),
        );
    }
}

/// Whether Release was reset to 1 where Version last changed, in the spec's history (newest
/// first) or in the working tree.
fn in_history(h: &HistoryFacts) -> Option<Finding> {
    let current = h.current.as_str();
    let (version, _) = version_release(current)?;
    if current.contains("%autorelease") {
        return None;
    }
    // Walk back while the version is the current one: the last such text introduced it.
    let mut introduced = ("working tree".to_string(), current.to_string());
    let mut previous = None;
    for (commit, text) in &h.commits {
        match version_release(text) {
            Some((v, _)) if v == version => introduced = (commit.clone(), text.clone()),
            Some((v, r)) => {
                previous = Some((v, r));
                break;
            }
            None => break,
        }
    }
    let (old_version, old_release) = previous?;
    let (_, release) = version_release(&introduced.1)?;
    let number: String = release.chars().take_while(|c| c.is_ascii_digit()).collect();
    if number.parse::<u64>().is_ok_and(|n| n <= 1) {
        return None;
    }
    let line = parse(current).tag_line("release").unwrap_or(1) as u32;
    Some(
        Finding::new(
            &RULE,
            Subject::position(&h.artifact, line, None),
            format!("Version changed from {old_version} to {version} with Release {release}, not reset to 1"),
        )
        .evidence("changed_in", introduced.0)
        .evidence("previous", format!("{old_version}-{old_release}"))
        .remedy("Set `Release: 1%{?dist}` in the commit that bumps Version, or use %autorelease."),
    )
}
