//! `runtime/not-a-runtime`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A binary named as a runtime whose `--version` is not that of any OCI runtime shipcheck
    /// knows (runc, crun, youki, runsc, krun, kata-runtime, runj).
    ///
    /// ## Why it breaks releases
    /// A wrapper script, a broken install or a wrong path in daemon.json makes every container
    /// start fail.
    ///
    /// ## Fix
    /// Point the engine's configuration at the real runtime binary.
    ///
    /// ## Example
    /// `/usr/local/bin/runc --version` printed `hello`.
    pub RULE = ("runtime/not-a-runtime", Error, "the binary is not an OCI runtime");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let o = facts.observation;
    if facts.identity.is_some() || o.version.error.is_some() {
        return;
    }
    let first = o.version.first_line();
    out.push(
        Finding::new(&RULE, facts.subject(), format!("`{} --version` does not identify an OCI runtime", o.name))
            .evidence(
                "output",
                if first.is_empty() { "(nothing)".to_string() } else { first.chars().take(200).collect() },
            )
            .evidence("exit", o.version.exit.map_or("none".into(), |e| e.to_string()))
            .remedy("Point the engine's configuration at the real runtime binary."),
    );
}
