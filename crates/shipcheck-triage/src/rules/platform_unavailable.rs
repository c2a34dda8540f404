//! `ci/platform-unavailable`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Cause, Extra, Facts};

declare_rule! {
    /// ## What it catches
    /// Platform and emulation failures: a base image without the target platform, a binary
    /// for another CPU (`exec format error`), missing QEMU, a buildx driver that cannot build
    /// several platforms.
    ///
    /// ## Why it breaks releases
    /// Release workflows build platforms that pull-request workflows never tried (Kubo
    /// riscv64).
    ///
    /// ## Fix
    /// Build every release platform in pull requests, set up QEMU for non-native ones, and use
    /// base images that provide each platform.
    ///
    /// ## Example
    /// `ubuntu:22.04: no match for platform in manifest sha256:…: not found`.
    pub RULE = ("ci/platform-unavailable", Error, "a platform is missing or cannot be emulated");
}

/// The signature classes this rule reports.
pub(crate) const CLASSES: &[&str] = &["platform-emulation"];

/// The fix when the signature names none.
const REMEDY: &str = "Build every release platform in pull requests, set up QEMU, and use base images that provide each platform.";

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for cause in facts.causes_of(&RULE, CLASSES) {
        let platform = platform_of(facts, cause).map(|p| ("platform".to_string(), p));
        let extra = Extra { facts: platform.into_iter().collect(), ..Extra::default() };
        out.push(facts.finding(&RULE, cause, REMEDY, extra));
    }
}

/// The platform a missing-platform error was for, when its line does not say: BuildKit names
/// it on the step that loaded the base image's metadata (`[linux/riscv64 internal] load
/// metadata for …`).
fn platform_of(facts: &Facts, cause: &Cause) -> Option<String> {
    if cause.captured("platform").is_some() {
        return None;
    }
    let image = cause.captured("image").map(|i| i.trim_start_matches("docker.io/library/"));
    facts
        .scanned
        .milestones
        .iter()
        .rev()
        .filter(|m| m.kind == "metadata" && m.line <= cause.last.line)
        .filter(|m| image.is_none_or(|i| m.text.contains(i)))
        .find_map(|m| step_platform().captures(&m.text).map(|c| c[1].to_string()))
}

crate::static_regex!(step_platform, r"\[((?:linux|windows|darwin|freebsd)/[a-z0-9_]+(?:/v\d+)?)[\s\]]");
