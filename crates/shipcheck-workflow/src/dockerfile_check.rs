//! Findings about one Dockerfile: the mistakes that build green on amd64 and break other
//! platforms.

use std::collections::BTreeSet;

use shipcheck_report::{Finding, Severity, Subject};

use crate::dockerfile::{arg_names, env_names, references, Dockerfile, Instruction, Stage};
use crate::rules::*;

const TARGET_ARGS: &[&str] = &["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"];
const BUILD_ARGS: &[&str] = &["BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"];
/// Architecture names as they appear in file names, Go's and the kernel's.
const ARCH_WORDS: &[&str] = &["amd64", "x86_64", "x86-64", "x64", "arm64", "aarch64"];
/// Parts of file names that come with the kernel's architecture names, not Go's.
const UNAME_STYLE: &[&str] =
    &["unknown-linux", "linux-gnu", "linux-musl", "apple-darwin", "linux_x86_64", "_linux_", "linux_"];

/// What the Dockerfile is built for, as far as the repository tells.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Target platforms (normalized), or `None` when no build of this file was found.
    pub platforms: Option<Vec<String>>,
    /// Where that came from, for the evidence (`.github/workflows/release.yml`).
    pub source: Option<String>,
}

impl Context {
    fn multi_platform(&self) -> Option<bool> {
        self.platforms.as_ref().map(|p| p.len() > 1 || p.iter().any(|p| p != "linux/amd64"))
    }
}

pub fn check(df: &Dockerfile, artifact: &str, ctx: &Context) -> Vec<Finding> {
    let at = |ins: &Instruction| ins.subject(artifact);
    let mut out = Vec::new();
    for (line, message) in &df.errors {
        out.push(
            Finding::new(&INVALID_DOCKERFILE, Subject::position(artifact, *line, None), message.clone())
                .remedy("Fix the instruction at this line; BuildKit refuses the file as it is."),
        );
    }
    // Automatic platform ARGs given a default, anywhere.
    for ins in df.instructions.iter().filter(|i| i.keyword == "ARG") {
        for (name, has_default) in arg_names(&ins.args) {
            if has_default && TARGET_ARGS.contains(&name.as_str()) {
                out.push(
                    Finding::new(&PLATFORM_ARG_DEFAULT, at(ins), format!("`ARG {}` gives {name} a default, which BuildKit then uses for every platform", ins.args))
                        .evidence("instruction", format!("ARG {}", ins.args))
                        .remedy(format!("Declare it without a default: `ARG {name}`; derive a fallback in the shell with ${{{name}:-…}}.")),
                );
            }
        }
    }
    let globals: BTreeSet<String> = df.instructions[df.preamble.clone()]
        .iter()
        .filter(|i| i.keyword == "ARG")
        .flat_map(|i| arg_names(&i.args).into_iter().map(|(n, _)| n))
        .collect();
    for (n, stage) in df.stages.iter().enumerate() {
        out_of_scope(df, stage, &globals, artifact, &mut out);
        hardcoded(df, stage, ctx, artifact, &mut out);
        arch_naming(df, stage, artifact, &mut out);
        if let Some(targets) = &ctx.platforms {
            case_gaps(df, stage, targets, artifact, &mut out);
        }
        if n + 1 == df.stages.len() {
            final_stage(df, stage, artifact, &mut out);
        }
    }
    out
}

/// ENV names a stage inherits from the stages it is built `FROM`.
fn inherited_env(df: &Dockerfile, stage: &Stage, depth: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let image = stage.image.to_ascii_lowercase();
    if let Some(parent) =
        df.stages.iter().take_while(|s| s.from < stage.from).find(|s| s.name.as_deref() == Some(image.as_str()))
    {
        if depth < 32 {
            names.extend(inherited_env(df, parent, depth + 1));
        }
        for ins in df.instructions[parent.body.clone()].iter() {
            match ins.keyword.as_str() {
                "ENV" => names.extend(env_names(&ins.args)),
                "ARG" => {}
                _ => {}
            }
        }
    }
    names
}

fn out_of_scope(df: &Dockerfile, stage: &Stage, globals: &BTreeSet<String>, artifact: &str, out: &mut Vec<Finding>) {
    let mut declared = inherited_env(df, stage, 0);
    let mut reported = BTreeSet::new();
    for ins in &df.instructions[stage.body.clone()] {
        let text = ins.text();
        for name in references(&text, df.escape) {
            let watched =
                globals.contains(&name) || TARGET_ARGS.contains(&name.as_str()) || BUILD_ARGS.contains(&name.as_str());
            if !watched || declared.contains(&name) || reported.contains(&name) || assigned_in_script(&text, &name) {
                continue;
            }
            let why = if globals.contains(&name) {
                format!("{name} is declared before the first FROM, which puts it in scope for FROM lines only")
            } else {
                format!("{name} is an automatic platform argument, which a stage sees only after `ARG {name}`")
            };
            reported.insert(name.clone());
            out.push(
                Finding::new(
                    &ARG_OUT_OF_SCOPE,
                    ins.subject(artifact),
                    format!("${name} is empty here: the stage does not declare it"),
                )
                .evidence("why", why)
                .evidence("stage", stage.name.clone().unwrap_or_else(|| stage.image.clone()))
                .remedy(format!("Add `ARG {name}` inside the stage, before this line.")),
            );
        }
        match ins.keyword.as_str() {
            "ARG" => declared.extend(arg_names(&ins.args).into_iter().map(|(n, _)| n)),
            "ENV" => declared.extend(env_names(&ins.args)),
            _ => {}
        }
    }
}

/// `NAME=…`, `export NAME`, `for NAME in`, `read NAME` in a script: the shell sets it itself.
fn assigned_in_script(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().last();
        let after = &text[i + name.len()..];
        let word_start = before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '{'));
        word_start
            && (after.starts_with('=')
                || text[..i].trim_end().ends_with("for")
                || text[..i].trim_end().ends_with("read"))
    })
}

/// Whether a stage adapts to the target architecture in some way.
fn maps_arch(df: &Dockerfile, stage: &Stage) -> bool {
    df.instructions[stage.body.clone()].iter().any(|ins| {
        let t = ins.text();
        let refs = references(&t, df.escape);
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

/// The architecture word of a URL or `GOARCH=`, as a whole token.
fn arch_token(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    ARCH_WORDS.iter().copied().find(|w| {
        lower.match_indices(w).any(|(i, _)| {
            let before = lower[..i].chars().last();
            let after = lower[i + w.len()..].chars().next();
            before.is_none_or(|c| !c.is_ascii_alphanumeric()) && after.is_none_or(|c| !c.is_ascii_alphanumeric())
        })
    })
}

fn urls(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '(' || c == ')')
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
}

fn hardcoded(df: &Dockerfile, stage: &Stage, ctx: &Context, artifact: &str, out: &mut Vec<Finding>) {
    let multi = ctx.multi_platform();
    if multi == Some(false) || maps_arch(df, stage) {
        return;
    }
    // A stage pinned to the build machine legitimately fetches the build machine's tools.
    if stage.platform.as_deref().is_some_and(|p| p.contains("BUILDPLATFORM")) {
        return;
    }
    let severity = if multi == Some(true) { Severity::Error } else { Severity::Warning };
    let built_for =
        ctx.platforms.as_ref().map(|p| p.join(", ")).unwrap_or_else(|| "unknown (no build of this file found)".into());
    let mut report = |ins: &Instruction, what: String| {
        let mut f = Finding::new(&HARDCODED_ARCH, ins.subject(artifact), what)
            .severity(severity)
            .evidence("built_for", &built_for)
            .evidence("stage", stage.name.clone().unwrap_or_else(|| stage.image.clone()))
            .remedy("Declare `ARG TARGETARCH` in the stage and derive the name from it (case \"$TARGETARCH\" in amd64) A=x86_64;; arm64) A=aarch64;; esac), or set GOARCH=$TARGETARCH.");
        if let Some(src) = &ctx.source {
            f = f.evidence("build", src);
        }
        out.push(f);
    };
    let from = &df.instructions[stage.from];
    if let Some(p) = stage.platform.as_deref().filter(|p| !p.contains('$')) {
        if arch_token(p).is_some() {
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

fn arch_naming(df: &Dockerfile, stage: &Stage, artifact: &str, out: &mut Vec<Finding>) {
    let all_text: String = df.instructions.iter().map(|i| i.text()).collect::<Vec<_>>().join("\n");
    for ins in &df.instructions[stage.body.clone()] {
        let text = ins.text();
        for url in urls(&text) {
            let uses_targetarch = url.contains("${TARGETARCH}") || url.contains("$TARGETARCH");
            if !uses_targetarch {
                continue;
            }
            let lower = url.to_ascii_lowercase();
            let uname_style = UNAME_STYLE.iter().find(|m| lower.contains(*m)).map(|m| format!("the name has {m}"));
            // The same download spelled with x86_64/aarch64 elsewhere in the file.
            let prefix = url.split("$").next().unwrap_or(url);
            let elsewhere = (prefix.len() > 12)
                .then(|| {
                    urls(&all_text).find(|u| {
                        u.starts_with(prefix) && !u.contains('$') && matches!(arch_token(u), Some("x86_64" | "aarch64"))
                    })
                })
                .flatten()
                .map(|u| format!("the same download is spelled {u}"));
            if let Some(why) = uname_style.or(elsewhere) {
                out.push(
                    Finding::new(&ARCH_NAMING, ins.subject(artifact), format!("TARGETARCH (amd64, arm64) in a URL whose file names use x86_64/aarch64: {url}"))
                        .evidence("why", why)
                        .remedy("Map it first: case \"$TARGETARCH\" in amd64) ARCH=x86_64;; arm64) ARCH=aarch64;; esac, and use $ARCH in the URL."),
                );
            }
        }
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

fn case_gaps(df: &Dockerfile, stage: &Stage, targets: &[String], artifact: &str, out: &mut Vec<Finding>) {
    // A stage pinned to the build machine runs there, whatever the target.
    if stage.platform.as_deref().is_some_and(|p| p.contains("BUILDPLATFORM")) {
        return;
    }
    for ins in df.instructions[stage.body.clone()].iter().filter(|i| i.keyword == "RUN") {
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
                Finding::new(&ARCH_CASE_GAP, ins.subject(artifact), format!("the architecture case has no branch for {} and fails there", missing.join(", ")))
                    .evidence("branches", patterns.join(" | "))
                    .evidence("built_for", targets.join(", "))
                    .remedy(format!("Add a branch for {} (or install the tool from the distribution's packages), or drop the platform from the build.", missing.join(", "))),
            );
        }
    }
}

fn final_stage(df: &Dockerfile, stage: &Stage, artifact: &str, out: &mut Vec<Finding>) {
    let from = &df.instructions[stage.from];
    if let Some(p) = stage.platform.as_deref().filter(|p| BUILD_ARGS.iter().any(|b| p.contains(b))) {
        out.push(
            Finding::new(&BUILD_PLATFORM_IN_FINAL, from.subject(artifact), format!("the final stage is built FROM --platform={p}, the build machine's platform"))
                .evidence("image", &stage.image)
                .remedy("Drop --platform from the final FROM (it defaults to the target platform), and keep $BUILDPLATFORM for builder stages."),
        );
        return;
    }
    for ins in &df.instructions[stage.body.clone()] {
        if let Some(name) = references(&ins.text(), df.escape).into_iter().find(|r| BUILD_ARGS.contains(&r.as_str())) {
            out.push(
                Finding::new(
                    &BUILD_PLATFORM_IN_FINAL,
                    ins.subject(artifact),
                    format!("the final stage reads ${name}, the build machine's platform, not the target's"),
                )
                .severity(Severity::Warning)
                .remedy(format!(
                    "Use the TARGET counterpart ({}) in the final stage.",
                    name.replace("BUILD", "TARGET")
                )),
            );
            return;
        }
    }
}

/// A base image and the platforms the build needs from it.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseImage {
    /// Line and column of its FROM.
    pub line: u32,
    pub column: u32,
    /// The reference with global ARG defaults substituted.
    pub image: String,
    pub needed: Vec<String>,
}

/// The external base images (not stages, not `scratch`, not pinned to the build machine) of a
/// Dockerfile with known targets, with what each must provide. References that still hold a
/// variable after the global ARG defaults are substituted are left out.
pub fn base_images(df: &Dockerfile, ctx: &Context) -> Vec<BaseImage> {
    let Some(targets) = &ctx.platforms else { return Vec::new() };
    let defaults: Vec<(String, String)> = df.instructions[df.preamble.clone()]
        .iter()
        .filter(|i| i.keyword == "ARG")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut out: Vec<BaseImage> = Vec::new();
    for (n, stage) in df.stages.iter().enumerate() {
        let earlier =
            df.stages[..n].iter().any(|s| s.name.as_deref() == Some(stage.image.to_ascii_lowercase().as_str()));
        if earlier || stage.image.eq_ignore_ascii_case("scratch") {
            continue;
        }
        let needed = match stage.platform.as_deref() {
            Some(p) if BUILD_ARGS.iter().any(|b| p.contains(b)) => continue,
            Some(p) if !p.contains('$') => crate::platform::normalize(p).into_iter().collect(),
            _ => targets.clone(),
        };
        let image = substitute(&stage.image, &defaults);
        if image.contains('$') || needed.is_empty() {
            continue;
        }
        match out.iter_mut().find(|b| b.image == image) {
            Some(b) => b.needed.extend(needed.into_iter().filter(|p| !b.needed.contains(p)).collect::<Vec<_>>()),
            None => {
                let from = &df.instructions[stage.from];
                out.push(BaseImage { line: from.line, column: from.column, image, needed })
            }
        }
    }
    out
}

/// `$X`, `${X}` and `${X:-default}` from the global ARG defaults; unknown names stay as written.
fn substitute(text: &str, defaults: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in defaults {
        out = out.replace(&format!("${{{k}}}"), v);
        if let Some(i) = out.find(&format!("${{{k}:-")) {
            if let Some(end) = out[i..].find('}') {
                out.replace_range(i..i + end + 1, v);
            }
        }
        let plain = format!("${k}");
        if let Some(i) = out.find(&plain) {
            let after = out[i + plain.len()..].chars().next();
            if after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
                out.replace_range(i..i + plain.len(), v);
            }
        }
    }
    // `${X:-default}` of an ARG without a default falls back to the default.
    while let Some(i) = out.find("${") {
        let Some(end) = out[i..].find('}') else { break };
        let inner = &out[i + 2..i + end];
        let Some((_, fallback)) = inner.split_once(":-") else { break };
        let fallback = fallback.to_string();
        out.replace_range(i..i + end + 1, &fallback);
    }
    out
}

/// The finding for a base image that lacks needed platforms (`available` from its registry).
pub fn missing_base_platforms(artifact: &str, base: &BaseImage, available: &[String]) -> Option<Finding> {
    let have: BTreeSet<String> = available.iter().filter_map(|p| crate::platform::normalize(p)).collect();
    let missing: Vec<&str> = base.needed.iter().filter(|p| !have.contains(*p)).map(String::as_str).collect();
    if missing.is_empty() {
        return None;
    }
    Some(
        Finding::new(
            &BASE_PLATFORM_MISSING,
            Subject::position(artifact, base.line, Some(base.column)),
            format!("{} has no {}", base.image, missing.join(", ")),
        )
        .evidence("available", have.into_iter().collect::<Vec<_>>().join(", "))
        .evidence("needed", base.needed.join(", "))
        .remedy("Use a base image (or tag) published for every target platform, or drop the platform from the build."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    fn ids(text: &str, platforms: Option<&[&str]>) -> Vec<(String, u32, Severity)> {
        let ctx = Context { platforms: platforms.map(|p| p.iter().map(|s| s.to_string()).collect()), source: None };
        check(&parse(text), "Dockerfile", &ctx)
            .into_iter()
            .map(|f| {
                let line = match f.subject.locator {
                    shipcheck_report::Locator::Position { line, .. } => line,
                    _ => 0,
                };
                (f.rule.id.to_string(), line, f.severity)
            })
            .collect()
    }

    #[test]
    fn unparseable_instructions_are_reported_where_they_are() {
        let got = ids("FROM alpine\nRUNN make\nFROM\n", None);
        assert_eq!(
            got,
            [("dockerfile/invalid".into(), 2, Severity::Error), ("dockerfile/invalid".into(), 3, Severity::Error)],
            "{got:?}"
        );
    }

    #[test]
    fn platform_arg_defaults() {
        let got = ids("FROM golang\nARG TARGETARCH=amd64\nRUN GOARCH=$TARGETARCH go build\n", None);
        assert_eq!(got, [("dockerfile/platform-arg-default".into(), 2, Severity::Error)]);
        assert!(ids("FROM golang\nARG TARGETARCH\nARG VERSION=1\nRUN GOARCH=$TARGETARCH go build\n", None).is_empty());
    }

    #[test]
    fn args_out_of_scope() {
        let got =
            ids("ARG VERSION=1.2\nFROM alpine\nRUN wget https://x/v${VERSION}/t.tgz\nRUN echo $TARGETARCH\n", None);
        assert_eq!(got.iter().filter(|g| g.0 == "dockerfile/arg-out-of-scope").count(), 2, "{got:?}");
        assert!(ids("ARG VERSION=1.2\nFROM alpine:${VERSION}\nARG VERSION\nRUN echo $VERSION\n", None).is_empty());
        // ENV inherited from a parent stage, and a variable the script sets itself.
        assert!(ids(
            "ARG V=1\nFROM alpine AS a\nENV V=2\nFROM a\nRUN echo $V\nRUN TARGETARCH=$(uname -m); echo $TARGETARCH\n",
            None
        )
        .is_empty());
    }

    #[test]
    fn hardcoded_arch_depends_on_targets() {
        let df = "FROM alpine\nRUN wget https://example.com/tool-linux-amd64.tar.gz\n";
        assert_eq!(ids(df, Some(&["linux/amd64"])), []);
        assert_eq!(ids(df, None)[0], ("dockerfile/hardcoded-arch".into(), 2, Severity::Warning));
        let multi = ids(df, Some(&["linux/amd64", "linux/arm64"]));
        assert!(multi.contains(&("dockerfile/hardcoded-arch".into(), 2, Severity::Error)), "{multi:?}");
        assert!(ids(
            "FROM golang\nARG TARGETARCH\nRUN wget https://x/tool-linux-amd64.tgz && GOARCH=$TARGETARCH go build\n",
            None
        )
        .is_empty());
        assert_eq!(ids("FROM golang\nENV GOARCH=amd64 CGO_ENABLED=0\n", None)[0].0, "dockerfile/hardcoded-arch");
        assert_eq!(ids("FROM --platform=linux/amd64 alpine\nRUN true\n", None)[0].0, "dockerfile/hardcoded-arch");
        assert!(ids(
            "FROM --platform=$BUILDPLATFORM golang AS b\nRUN wget https://x/protoc-linux-x86_64.zip\nFROM alpine\n",
            None
        )
        .is_empty());
    }

    #[test]
    fn build_platform_in_final_stage() {
        let got = ids("FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build\nFROM --platform=$BUILDPLATFORM alpine\nCOPY --from=b /app /\n", None);
        assert_eq!(got, [("dockerfile/build-platform-in-final-stage".into(), 3, Severity::Error)]);
        let got = ids("FROM alpine\nARG BUILDARCH\nRUN echo $BUILDARCH\n", None);
        assert_eq!(got, [("dockerfile/build-platform-in-final-stage".into(), 3, Severity::Warning)]);
    }

    #[test]
    fn arch_naming() {
        let got = ids("FROM alpine\nARG TARGETARCH\nADD https://github.com/o/t/releases/download/v1/t-${TARGETARCH}-unknown-linux-musl.tar.gz /t\n", None);
        assert_eq!(got, [("dockerfile/arch-naming".into(), 3, Severity::Error)]);
        assert!(ids(
            "FROM alpine\nARG TARGETARCH\nADD https://dl.example.com/t/v1/t-linux-${TARGETARCH}.tar.gz /t\n",
            None
        )
        .is_empty());
    }

    #[test]
    fn arch_case_gaps() {
        let df = "FROM debian\nRUN set -eux; \\\n  arch=\"$(dpkg --print-architecture)\"; \\\n  case \"$arch\" in \\\n    \"amd64\" | \"armhf\" | \"arm64\") t=tini-$arch ;; \\\n    *) echo >&2 \"unsupported: $arch\"; exit 1 ;; \\\n  esac\n";
        let got = ids(df, Some(&["linux/amd64", "linux/arm64", "linux/riscv64"]));
        assert!(got.contains(&("dockerfile/arch-case-gap".into(), 2, Severity::Error)), "{got:?}");
        assert!(!ids(df, Some(&["linux/amd64", "linux/arm/v7"])).iter().any(|g| g.0 == "dockerfile/arch-case-gap"));
        let lenient = df.replace("exit 1", "t=none");
        assert!(!ids(&lenient, Some(&["linux/riscv64"])).iter().any(|g| g.0 == "dockerfile/arch-case-gap"));
    }

    #[test]
    fn base_images_and_what_they_must_provide() {
        let df = parse("ARG ALPINE=3.20\nARG DEBIAN\nFROM --platform=$BUILDPLATFORM golang AS b\nFROM b AS c\nFROM --platform=linux/amd64 debian:${DEBIAN:-bookworm} AS tools\nFROM alpine:${ALPINE}\nFROM $UNKNOWN\nCOPY --from=c /a /\n");
        let ctx = Context { platforms: Some(vec!["linux/amd64".into(), "linux/riscv64".into()]), source: None };
        let bases = base_images(&df, &ctx);
        assert_eq!(
            bases,
            [
                BaseImage { line: 5, column: 1, image: "debian:bookworm".into(), needed: vec!["linux/amd64".into()] },
                BaseImage {
                    line: 6,
                    column: 1,
                    image: "alpine:3.20".into(),
                    needed: vec!["linux/amd64".into(), "linux/riscv64".into()]
                },
            ]
        );
        let f =
            missing_base_platforms("Dockerfile", &bases[1], &["linux/amd64".into(), "linux/arm64/v8".into()]).unwrap();
        assert_eq!(f.message, "alpine:3.20 has no linux/riscv64");
        assert!(missing_base_platforms("Dockerfile", &bases[0], &["linux/amd64".into()]).is_none());
        assert!(base_images(&df, &Context::default()).is_empty());
    }
}
