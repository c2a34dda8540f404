//! `image/missing-platform`.

use std::collections::BTreeSet;

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::facts::{list_or_none, platform_agrees, At, Facts};
use crate::platform::Platform;

declare_rule! {
    /// ## What it catches
    /// A platform you require (`--platform`, or `platforms` in shipcheck.toml) that the image
    /// does not provide.
    ///
    /// ## Why it breaks releases
    /// Users on that platform get `no matching manifest for linux/arm64/v8 in the manifest
    /// list entries` — after the release (the Kubo riscv64 case, in reverse).
    ///
    /// ## Fix
    /// Add the platform to the build (`platforms:` in docker/build-push-action, `--platform`
    /// for buildx), or drop it from the requirement.
    ///
    /// ## Example
    /// Required `linux/arm64`; the index has only `linux/amd64`.
    pub RULE = ("image/missing-platform", Error, "a required platform is missing");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let have: BTreeSet<&Platform> =
        facts.images.iter().filter(|i| !i.attestation).filter_map(|i| i.platform.as_ref()).collect();
    let have_list: Vec<String> = have.iter().map(|p| p.to_string()).collect();
    for want in &facts.required_platforms {
        if have.iter().any(|p| platform_agrees(p, want)) {
            continue;
        }
        let s = Subject::platform(&facts.artifact, want.to_string());
        let f = Finding::new(&RULE, s, format!("required platform {want} is not in the image"))
            .evidence("provided", list_or_none(&have_list))
            .remedy(format!("Add {want} to the build's platforms, or drop it from the requirement."));
        facts.emit(out, At::Coverage, f);
    }
}
