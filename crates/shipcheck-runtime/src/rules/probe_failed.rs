//! `runtime/probe-failed`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Verdict};

declare_rule! {
    /// ## What it catches
    /// A probe that did not finish within the timeout (the binary was killed), or a binary that
    /// could not be run at all.
    ///
    /// ## Why it breaks releases
    /// A runtime that hangs on `--help` hangs on real work too; one that cannot be executed
    /// fails every container start.
    ///
    /// ## Fix
    /// Check the binary (architecture, permissions, dynamic libraries) and the path the engine
    /// is configured with.
    ///
    /// ## Example
    /// `runc --version: no answer within 2000 ms; killed`.
    pub RULE = ("runtime/probe-failed", Error, "the runtime did not answer a probe");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let o = facts.observation;
    if let Some(e) = &o.version.error {
        out.push(Finding::new(&RULE, facts.subject(), format!("`{} --version`: {e}", o.name)).remedy(
            "Check the binary (architecture, permissions, libraries) and the path the engine is configured with.",
        ));
        return;
    }
    for f in &facts.flags {
        if let Verdict::Failed(e) = &f.verdict {
            out.push(Finding::new(&RULE, facts.subject(), format!("`{}`: {e}", f.probe)));
        }
    }
}
