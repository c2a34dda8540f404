//! `image/extra-platform`.

use std::collections::BTreeSet;

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::facts::{platform_agrees, At, Facts};
use crate::platform::Platform;

declare_rule! {
    /// ## What it catches
    /// A platform the image provides that is not in your required list.
    ///
    /// ## Why it matters
    /// Usually harmless, but it is a platform nobody promised to test.
    ///
    /// ## Fix
    /// Add it to the required platforms, or stop building it.
    ///
    /// ## Example
    /// Required `linux/amd64`; the index also has `linux/s390x`.
    pub RULE = ("image/extra-platform", Note, "a platform beyond the required ones");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let required = &facts.required_platforms;
    if required.is_empty() {
        return;
    }
    let have: BTreeSet<&Platform> =
        facts.images.iter().filter(|i| !i.attestation).filter_map(|i| i.platform.as_ref()).collect();
    for p in have {
        if required.iter().any(|w| platform_agrees(p, w)) {
            continue;
        }
        let s = Subject::platform(&facts.artifact, p.to_string());
        let f = Finding::new(&RULE, s, format!("{p} is provided but not required"))
            .remedy("Add it to the required platforms, or stop building it.");
        facts.emit(out, At::Coverage, f);
    }
}
