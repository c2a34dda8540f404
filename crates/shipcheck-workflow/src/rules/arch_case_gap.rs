//! `dockerfile/arch-case-gap`.

use shipcheck_report::{declare_rule, Finding};

use crate::dockerfile::Stage;
use crate::facts::{DockerfileFacts, Facts, ARCH_WORDS};

declare_rule! {
    /// ## What it catches
    /// A shell `case` on the architecture (`dpkg --print-architecture`, `uname -m`,
    /// `$TARGETARCH`) whose branches do not name a platform the Dockerfile is built for, and
    /// whose `*)` branch fails (`exit 1`).
    ///
    /// ## Why it breaks releases
    /// The build of that platform stops at this line with the script's own "unsupported
    /// architecture" message. Kubo's image fetched tini with a case for amd64, armhf and arm64
    /// only; adding riscv64 to the release platforms broke the master image build.
    ///
    /// ## Fix
    /// Add a branch for the platform (or fetch the tool from the distribution's packages),
    /// or drop the platform from the build.
    ///
    /// ## Example
    /// `case "$dpkgArch" in amd64|armhf|arm64) … ;; *) exit 1 ;; esac` built for linux/riscv64.
    pub RULE = ("dockerfile/arch-case-gap", Error, "an architecture case that fails for a target platform");
}

/// Only with known targets: without them there is no platform to find missing.
pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    let Some(targets) = &d.ctx.platforms else { return };
    for stage in &d.df.stages {
        case_gaps(d, stage, targets, out);
    }
}

/// The names a platform goes by in scripts: Go's, Debian's, the kernel's.
fn arch_aliases(platform: &str) -> &'static [&'static str] {
    match platform.strip_prefix("linux/").unwrap_or(platform) {
        "amd64" => &["amd64", "x86_64", "x86-64", "x64"],
        "arm64" => &["arm64", "aarch64", "armv8", "arm64v8"],
        "arm/v7" => &["armhf", "armv7", "armv7l", "armv7hf", "arm", "arm32v7"],
        "arm/v6" => &["armel", "armv6", "armv6l", "arm", "arm32v6"],
        "386" => &["386", "i386", "i686", "x86"],
        "ppc64le" => &["ppc64le", "ppc64el"],
        "s390x" => &["s390x"],
        "riscv64" => &["riscv64"],
        "mips64le" => &["mips64le", "mips64el"],
        "loong64" => &["loong64", "loongarch64"],
        _ => &[],
    }
}

/// A `case … in … esac`: its branches' patterns and whether the `*)` branch fails.
fn cases(text: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("case ") {
        let after = &rest[start + 5..];
        let Some(inp) = after.find(" in ") else { break };
        let body_start = &after[inp + 4..];
        let end = body_start.find("esac").unwrap_or(body_start.len());
        let body = &body_start[..end];
        let mut patterns = Vec::new();
        let mut fails = false;
        for branch in body.split(";;") {
            let Some((pats, action)) = branch.split_once(')') else { continue };
            let pats: Vec<String> = pats
                .split('|')
                .map(|p| p.trim().trim_start_matches('(').trim_matches(['"', '\'']).to_ascii_lowercase())
                .filter(|p| !p.is_empty())
                .collect();
            if pats.iter().any(|p| p == "*") {
                fails = action.contains("exit 1")
                    || action.contains("exit 2")
                    || action.contains("false")
                    || action.contains("exit $");
            } else {
                patterns.extend(pats);
            }
        }
        out.push((patterns, fails));
        rest = &body_start[end..];
    }
    out
}

fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((pre, post)) => name.starts_with(pre) && name.ends_with(post) && name.len() >= pre.len() + post.len(),
        None => pattern == name,
    }
}

fn case_gaps(d: &DockerfileFacts, stage: &Stage, targets: &[String], out: &mut Vec<Finding>) {
    // A stage pinned to the build machine runs there, whatever the target.
    if stage.platform.as_deref().is_some_and(|p| p.contains("BUILDPLATFORM")) {
        return;
    }
    for ins in d.df.instructions[stage.body.clone()].iter().filter(|i| i.keyword == "RUN") {
        for (patterns, fails) in cases(&ins.text()) {
            let is_arch_case = patterns.iter().any(|p| {
                ARCH_WORDS.contains(&p.as_str())
                    || ["armhf", "arm64", "riscv64", "s390x", "ppc64le", "i386"].contains(&p.as_str())
            });
            if !fails || !is_arch_case {
                continue;
            }
            let missing: Vec<&str> = targets
                .iter()
                .filter(|t| {
                    let aliases = arch_aliases(t);
                    !aliases.is_empty() && !aliases.iter().any(|a| patterns.iter().any(|p| glob_match(p, a)))
                })
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                Finding::new(&RULE, ins.subject(d.artifact), format!("the architecture case has no branch for {} and fails there", missing.join(", ")))
                    .evidence("branches", patterns.join(" | "))
                    .evidence("built_for", targets.join(", "))
                    .remedy(format!("Add a branch for {} (or install the tool from the distribution's packages), or drop the platform from the build.", missing.join(", "))),
            );
        }
    }
}
