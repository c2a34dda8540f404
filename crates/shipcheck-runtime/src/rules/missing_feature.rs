//! `runtime/missing-feature`.

use crate::data::CallerSpec;
use crate::facts::{feature_need, Facts};
use crate::features::Tri;
use shipcheck_report::{declare_rule, Finding, Severity};

declare_rule! {
    /// ## What it catches
    /// A `features` field that a caller relies on, which the runtime reports as absent or
    /// disabled.
    ///
    /// ## Why it breaks releases
    /// containerd 2.0 and CRI-O need `linux.mountExtensions.idmap.enabled` for user-namespaced
    /// pods, and `rro` in `mountOptions` for recursive read-only mounts; pods that ask for
    /// them fail to start.
    ///
    /// ## Fix
    /// Upgrade the runtime to the version the finding names.
    ///
    /// ## Example
    /// `runc 1.1.5 does not report linux.mountExtensions.idmap.enabled, which containerd
    /// ≥2.0 needs for user-namespaced pods`.
    pub RULE = ("runtime/missing-feature", Error, "the runtime lacks a feature its caller relies on");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(id) = &facts.identity else { return };
    for n in &facts.needs {
        let (path, needs) = (&n.need.path, feature_need(n));
        let finding = match n.answer {
            Some(Tri::No) => {
                Finding::new(&RULE, facts.subject(), format!("{} does not provide `{path}`, {needs}", facts.label))
                    .evidence("provided_since", &n.provided)
                    .evidence("caller", format!("{} {}", CallerSpec::display(&n.caller), n.caller_version))
            }
            // Without a features document the runtime may still have it: a warning, not an error.
            None => Finding::new(
                &RULE,
                facts.subject(),
                format!("{} cannot report `{path}` (no features), {needs}", facts.label),
            )
            .severity(Severity::Warning)
            .evidence("provided_since", &n.provided),
            Some(Tri::Yes | Tri::Unknown) => continue,
        };
        out.push(finding.evidence("source", &n.need.source).remedy(format!("Upgrade {}.", id.implementation)));
    }
}
