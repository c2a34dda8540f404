//! `package/evr-order`.

use std::cmp::Ordering;

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::evr::Evr;
use crate::existing::strip_dist;
use crate::facts::{Facts, NvrFacts};

declare_rule! {
    /// ## What it catches
    /// Against the NVRs already built in each downstream branch (`--existing FILE`): a new
    /// EVR that is not greater than every branch's, an NVR that already exists, and rawhide
    /// behind a branched Fedora.
    ///
    /// ## Why it breaks releases
    /// Koji refuses an NVR it has built (`Build already exists`), and an update whose EVR is
    /// not higher than the installed one is never offered; rawhide lower than a stable branch
    /// breaks upgrades to the next Fedora.
    ///
    /// ## Fix
    /// Bump Version or Release so the new EVR is above every branch's; rebuild rawhide first.
    ///
    /// ## Example
    /// New `crun-1.17-1`, while `f43` already has `crun-1.17-2.fc43`.
    pub RULE = ("package/evr-order", Error, "the new EVR does not sort above what downstream has");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(n) = &facts.nvrs else { return };
    let (name, new) = (n.name.as_str(), &n.new);
    let subject = || Subject::whole(&n.artifact);
    let new_cmp = Evr { release: strip_dist(&new.release), ..new.clone() };
    for (branch, have, evr) in n.existing.iter().filter(|(_, have, _)| have == name) {
        let theirs = Evr { release: strip_dist(&evr.release), ..evr.clone() };
        let same = new_cmp.epoch == theirs.epoch
            && new_cmp.version == theirs.version
            && new_cmp.release == theirs.release
            && !new.release.is_empty();
        if same {
            out.push(
                Finding::new(&RULE, subject(), format!("{have}-{evr} already exists in {branch}"))
                    .evidence("branch", branch)
                    .remedy("Bump Release (or Version): Koji never rebuilds an existing NVR."),
            );
        } else if new_cmp.compare(&theirs) != Ordering::Greater {
            out.push(
                Finding::new(&RULE, subject(), format!("new {name}-{new} is not newer than {branch}'s {have}-{evr}"))
                    .evidence("branch", branch)
                    .remedy("Bump Version or Release above every branch's build."),
            );
        }
    }
    rawhide_behind(n, out);
}

/// rawhide must not be behind any branched Fedora.
fn rawhide_behind(n: &NvrFacts, out: &mut Vec<Finding>) {
    let name = n.name.as_str();
    let rawhide: Vec<&Evr> =
        n.existing.iter().filter(|(b, m, _)| m == name && (b == "rawhide" || b == "main")).map(|(_, _, e)| e).collect();
    for (branch, m, evr) in n
        .existing
        .iter()
        .filter(|(b, m, _)| m == name && b.starts_with('f') && b[1..].chars().all(|c| c.is_ascii_digit()))
    {
        let theirs = Evr { release: strip_dist(&evr.release), ..evr.clone() };
        if let Some(r) = rawhide
            .iter()
            .find(|r| Evr { release: strip_dist(&r.release), ..(**r).clone() }.compare(&theirs) == Ordering::Less)
        {
            out.push(
                Finding::new(
                    &RULE,
                    Subject::whole(&n.artifact),
                    format!("rawhide has {m}-{r}, lower than {branch}'s {m}-{evr}"),
                )
                .evidence("branch", branch)
                .remedy("Build the new version in rawhide first, then in branched Fedoras."),
            );
        }
    }
}
