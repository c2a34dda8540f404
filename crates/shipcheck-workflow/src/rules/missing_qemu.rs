//! `workflow/missing-qemu`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{subject, Facts};
use crate::platform::{normalize, runs_natively};
use crate::workflow::{Build, Platforms};

declare_rule! {
    /// ## What it catches
    /// A build of a platform that the job's runner does not run natively, in a job with no
    /// `docker/setup-qemu-action` (or `tonistiigi/binfmt`, `qemu-user-static`) before it, or
    /// whose QEMU `platforms` do not include it. Builders with nodes of other platforms
    /// (`append:`, the remote driver) are not judged, and neither are builds whose Dockerfile
    /// runs every `RUN` in stages `FROM --platform=$BUILDPLATFORM` (it cross-compiles: nothing
    /// of the target platform is executed). A native arm64 runner (`ubuntu-24.04-arm`) needs
    /// no QEMU for linux/arm64. Platforms of another OS than the runner's (`windows/amd64` on
    /// Linux) are not judged: QEMU user-mode emulation runs only Linux binaries.
    ///
    /// ## Why it breaks releases
    /// Every `RUN` of a foreign-platform stage fails with `exec format error` without an
    /// emulator. A Dockerfile that cross-compiles (`FROM --platform=$BUILDPLATFORM`, no `RUN`
    /// in the target stages) does not need one; when the Dockerfile cannot be read (a remote
    /// context, an expression) that cannot be told, which is why this is a warning.
    ///
    /// ## Fix
    /// Add `- uses: docker/setup-qemu-action@v3` before the build, or include the platform in
    /// its `platforms`.
    ///
    /// ## Example
    /// `platforms: linux/amd64,linux/arm64` on ubuntu-latest with only setup-buildx-action.
    pub RULE = ("workflow/missing-qemu", Warning, "a foreign platform built without QEMU");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for b in &a.builds {
        qemu(b, out);
    }
}

fn qemu(b: &Build, out: &mut Vec<Finding>) {
    let (Platforms::Explicit(_), Some(native), false, true, false) =
        (&b.platforms, &b.native, b.multi_node, b.judge_qemu, b.cross_compiles)
    else {
        return;
    };
    let Some(list) = b.known_platforms() else { return };
    let covered = |p: &str| match &b.qemu {
        Some(None) => true,
        Some(Some(q)) => q.iter().any(|e| {
            let e = e.trim().to_ascii_lowercase();
            e == "all" || normalize(&e).is_some_and(|n| n == p || p.starts_with(&format!("{n}/")))
        }),
        None => false,
    };
    // QEMU's user-mode emulation runs Linux binaries only: a build for another OS (windows,
    // freebsd, darwin) on a Linux runner cross-compiles or fails whatever is installed.
    let same_os = |p: &str| p.split('/').next() == native.split('/').next();
    let missing: Vec<&String> =
        list.iter().filter(|p| same_os(p) && !runs_natively(native, p) && !covered(p)).collect();
    if missing.is_empty() {
        return;
    }
    let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
    let what = if b.qemu.is_some() { "the QEMU set-up does not cover" } else { "no QEMU is set up for" };
    out.push(
        Finding::new(&RULE, subject(&b.at), format!("{what} {} on a {native} runner", names.join(", ")))
            .evidence("job", &b.job)
            .evidence("tool", &b.tool)
            .evidence("runner_platform", native)
            .remedy(format!(
                "Add before the build:\n  - uses: docker/setup-qemu-action@v3\n    with:\n      platforms: {}",
                names.iter().map(|p| p.trim_start_matches("linux/")).collect::<Vec<_>>().join(",")
            )),
    );
}
