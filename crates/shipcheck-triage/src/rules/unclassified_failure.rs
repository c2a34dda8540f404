//! `ci/unclassified-failure`.

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::facts::{clip, Facts};
use crate::redact::redact;

declare_rule! {
    /// ## What it catches
    /// A job that failed in a way no signature knows: the failing step and its error lines are
    /// found from the log's shape (BuildKit `ERROR [stage n/m]` and `failed to solve`, the
    /// legacy builder's `returned a non-zero code`, GitHub's `Process completed with exit
    /// code N`, GitLab's `Job failed`, `Error:`/`fatal:` lines, Python tracebacks, Go panics,
    /// rpmbuild's `Bad exit status`), and the words around them vote for a class.
    ///
    /// ## Why it breaks releases
    /// A failed job must never read as clean: the finding points at the step and the lines to
    /// read, and says how sure the class is (`confidence`, the voted class's share of the votes).
    ///
    /// ## Fix
    /// Read the error lines in the evidence; if the failure recurs, add a signature for it
    /// (`--rules FILE`, docs/diagnose.md#your-own-signatures).
    ///
    /// ## Example
    /// `ERROR: failed to solve: process "/bin/sh -c ./configure" did not complete successfully: exit code: 77`.
    pub RULE = ("ci/unclassified-failure", Error, "the job failed for a reason no signature knows");
}

/// The signature classes this rule reports: none; it reports the structural fallback.
pub(crate) const CLASSES: &[&str] = &[];

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(failure) = &facts.failure else { return };
    let subject = Subject::position(facts.artifact, failure.line as u32, None);
    let what = failure.step.as_deref().map(|s| format!(": {}", clip(&redact(s)))).unwrap_or_default();
    let mut f = Finding::new(&RULE, subject, format!("the job failed{what}"))
        .evidence("signature", "none")
        .evidence("class", failure.class)
        .evidence("confidence", format!("{:.2}", failure.confidence));
    if let Some(exit) = &failure.exit {
        f = f.evidence("exit_status", exit);
    }
    for (line, text) in &failure.lines {
        f = f.evidence(format!("line {line}"), clip(&redact(text)));
    }
    for why in &failure.why {
        f = f.evidence("why", redact(why));
    }
    let votes: Vec<String> = failure.votes.iter().map(|(c, n)| format!("{c} {n}")).collect();
    if !votes.is_empty() {
        f = f.evidence("votes", votes.join(", "));
    }
    out.push(f.remedy(
        "Read the error lines above; if this failure recurs, add a signature for it (--rules FILE, see docs/diagnose.md).",
    ));
}
