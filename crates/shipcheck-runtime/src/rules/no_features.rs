//! `runtime/no-features`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{provides, Facts, FeaturesFact};

declare_rule! {
    /// ## What it catches
    /// A runtime without the OCI `features` command (runtime-spec features.md), such as crun
    /// before 1.12 (`unknown command features`, exit 1) or runc before 1.1.
    ///
    /// ## Why it matters
    /// containerd 2.0, CRI-O and Docker ask `features` before they use idmapped mounts,
    /// recursive read-only mounts and similar; without an answer they turn the feature off or
    /// refuse the pod.
    ///
    /// ## Fix
    /// Upgrade the runtime.
    ///
    /// ## Example
    /// `crun 1.8.1 has no features command: unknown command features`.
    pub RULE = ("runtime/no-features", Warning, "the runtime cannot describe its features");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let (Some(id), FeaturesFact::Missing { answer, exit }) = (&facts.identity, &facts.features) else { return };
    let mut f = Finding::new(&RULE, facts.subject(), format!("{} has no `features` command", facts.label))
        .evidence("answer", if answer.is_empty() { "(nothing)".into() } else { answer.clone() })
        .evidence("exit", exit.map_or("none".into(), |e| e.to_string()));
    if let Some(p) = provides(&id.implementation, "features") {
        f = f.evidence("provided_since", format!("{} {} ({})", id.implementation, p.since, p.source));
    }
    out.push(f.remedy(format!("Upgrade {}.", id.implementation)));
}
