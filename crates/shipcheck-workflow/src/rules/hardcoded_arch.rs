//! `dockerfile/hardcoded-arch`.

use shipcheck_report::{declare_rule, Finding};

use shipcheck_report::Severity;

use crate::dockerfile::{references, Instruction, Stage};
use crate::facts::{arch_token, urls, DockerfileFacts, Facts, TARGET_ARGS};

declare_rule! {
    /// ## What it catches
    /// In a Dockerfile built for several platforms: `GOARCH=amd64`, a download URL naming
    /// amd64/x86_64 (or arm64/aarch64), or `FROM --platform=linux/amd64`, in a stage that
    /// never reads `TARGETARCH`/`TARGETPLATFORM` nor asks the system (`uname -m`,
    /// `dpkg --print-architecture`). A stage pinned with `--platform` to the architecture its
    /// name says (`FROM --platform=arm64 almalinux:9 AS almalinux-9.arm64v8`) is one of
    /// several per-architecture stages and is left alone.
    ///
    /// ## Why it breaks releases
    /// Every platform of the image gets the amd64 binary; the arm64 image builds green and
    /// fails at start with `exec format error`. An error when a build in the repository makes
    /// the file for several platforms; a note when no build names it (its platforms are
    /// unknown: a devcontainer, an image a release host builds by hand); silent when every
    /// build of it is for one platform.
    ///
    /// ## Fix
    /// Map `TARGETARCH` to the name the download uses
    /// (`case "$TARGETARCH" in amd64) A=x86_64;; arm64) A=aarch64;; esac`) or cross-compile
    /// with `GOARCH=$TARGETARCH`.
    ///
    /// ## Example
    /// `RUN curl -LO https://example.com/tool-linux-amd64.tar.gz`.
    pub RULE = ("dockerfile/hardcoded-arch", Warning, "a hard-coded architecture in a multi-platform build");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    for stage in &d.df.stages {
        hardcoded(d, stage, out);
    }
}

/// Whether a stage adapts to the target architecture in some way.
fn maps_arch(d: &DockerfileFacts, stage: &Stage) -> bool {
    d.df.instructions[stage.body.clone()].iter().any(|ins| {
        let t = ins.text();
        let refs = references(&t, d.df.escape);
        refs.iter().any(|r| TARGET_ARGS.contains(&r.as_str()) && r != "TARGETOS")
            || [
                "uname -m",
                "uname -p",
                "dpkg --print-architecture",
                "apk --print-arch",
                "$(arch)",
                "`arch`",
                "rpm --eval '%{_arch}'",
            ]
            .iter()
            .any(|k| t.contains(k))
    })
}

/// Whether the stage's name says the architecture it is pinned to (`AS alma-8.arm64v8-base`
/// with `--platform=arm64`): one of several per-architecture stages, which a build selects by
/// target or build argument, each deliberately for its own architecture.
fn named_for(stage: &Stage, platform: &str) -> bool {
    let Some(name) = stage.name.as_deref() else { return false };
    let Some(arch) = crate::platform::normalize(platform).and_then(|p| p.split('/').nth(1).map(String::from)) else {
        return false;
    };
    let spellings: &[&str] = match arch.as_str() {
        "amd64" => &["amd64", "x86_64", "x86-64", "x64"],
        "arm64" => &["arm64", "aarch64"],
        _ => &[],
    };
    spellings.iter().chain(std::iter::once(&arch.as_str())).any(|s| name.contains(s))
}

fn hardcoded(d: &DockerfileFacts, stage: &Stage, out: &mut Vec<Finding>) {
    let (df, ctx) = (d.df, d.ctx);
    let multi = ctx.multi_platform();
    if multi == Some(false) || maps_arch(d, stage) {
        return;
    }
    // A stage pinned to the build machine legitimately fetches the build machine's tools.
    if stage.platform.as_deref().is_some_and(|p| p.contains("BUILDPLATFORM")) {
        return;
    }
    // Known multi-platform: the other platforms get the wrong binary. Unknown (no build in the
    // repository names this file: a devcontainer, an image a release host builds by hand): the
    // pin is only wrong if someone builds it for another platform, so it is a note.
    let severity = if multi == Some(true) { Severity::Error } else { Severity::Note };
    let built_for =
        ctx.platforms.as_ref().map(|p| p.join(", ")).unwrap_or_else(|| "unknown (no build of this file found)".into());
    let mut report = |ins: &Instruction, what: String| {
        let mut f = Finding::new(&RULE, ins.subject(d.artifact), what)
            .severity(severity)
            .evidence("built_for", &built_for)
            .evidence("stage", DockerfileFacts::stage_label(stage))
            .remedy("Declare `ARG TARGETARCH` in the stage and derive the name from it (case \"$TARGETARCH\" in amd64) A=x86_64;; arm64) A=aarch64;; esac), or set GOARCH=$TARGETARCH.");
        if let Some(src) = &ctx.source {
            f = f.evidence("build", src);
        }
        out.push(f);
    };
    let from = &df.instructions[stage.from];
    if let Some(p) = stage.platform.as_deref().filter(|p| !p.contains('$')) {
        if arch_token(p).is_some() && !named_for(stage, p) {
            report(from, format!("FROM --platform={p} pins this stage to one architecture"));
        }
    }
    for ins in &df.instructions[stage.body.clone()] {
        if !matches!(ins.keyword.as_str(), "RUN" | "ADD" | "ENV") {
            continue;
        }
        let text = ins.text();
        if let Some(arch) =
            text.split_whitespace().find_map(|w| w.strip_prefix("GOARCH=")).filter(|a| arch_token(a).is_some())
        {
            report(ins, format!("GOARCH={arch} builds the same binary for every platform"));
            continue;
        }
        let url = urls(&text).find(|u| arch_token(u).is_some() && !u.contains('$')).map(String::from);
        if let Some(url) = url {
            let arch = arch_token(&url).unwrap_or("amd64");
            report(ins, format!("downloads an {arch} file for every platform: {url}"));
        }
    }
}
