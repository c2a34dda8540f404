//! `dockerfile/base-platform-missing`.

use shipcheck_report::{declare_rule, Finding};

use std::collections::BTreeSet;

use shipcheck_report::Subject;

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A `FROM` base image that lacks a platform the Dockerfile is built for, checked in its
    /// registry with `--online` (offline, the base images are listed as unchecked).
    ///
    /// ## Why it breaks releases
    /// The build of that platform fails with `no match for platform in manifest`, or, for a
    /// single-platform base, runs the wrong architecture under emulation.
    ///
    /// ## Fix
    /// Pick a base image (or tag) published for every target platform, or drop the platform.
    ///
    /// ## Example
    /// `FROM example/tool:1.0` (linux/amd64 and linux/arm64) in a build for linux/riscv64.
    pub RULE = ("dockerfile/base-platform-missing", Error, "a base image without a target platform");
}

/// Only with `--online`: the facts then hold what the base image's registry lists.
pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(b) = &facts.base else { return };
    let (base, available) = (b.base, b.available);
    let have: BTreeSet<String> = available.iter().filter_map(|p| crate::platform::normalize(p)).collect();
    let missing: Vec<&str> = base.needed.iter().filter(|p| !have.contains(*p)).map(String::as_str).collect();
    if missing.is_empty() {
        return;
    }
    out.push(
        Finding::new(
            &RULE,
            Subject::position(b.artifact, base.line, Some(base.column)),
            format!("{} has no {}", base.image, missing.join(", ")),
        )
        .evidence("available", have.into_iter().collect::<Vec<_>>().join(", "))
        .evidence("needed", base.needed.join(", "))
        .remedy("Use a base image (or tag) published for every target platform, or drop the platform from the build."),
    );
}
