//! What the workflow and Dockerfile readers measured, once, for the rules in `src/rules/` to
//! read. One type holds both families because the generated registry takes one facts type;
//! each rule returns early when its family is absent.

use std::collections::BTreeSet;

use shipcheck_report::{Finding, Subject};

use crate::dockerfile::{arg_names, Dockerfile, Stage};
use crate::dockerfile_check::{BaseImage, Context};
use crate::workflow::{Analysis, Loc};

/// Automatic platform arguments of the target.
pub(crate) const TARGET_ARGS: &[&str] = &["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"];
/// Automatic platform arguments of the machine running the build.
pub(crate) const BUILD_ARGS: &[&str] = &["BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"];
/// Architecture names as they appear in file names, Go's and the kernel's.
pub(crate) const ARCH_WORDS: &[&str] = &["amd64", "x86_64", "x86-64", "x64", "arm64", "aarch64"];

/// Everything one run of the rules may read. A field that is `None` was not measured in this
/// run (e.g. a Dockerfile check has no workflows), and the rules of that family stay silent.
#[derive(Default)]
pub struct Facts<'a> {
    /// The evaluated image builds of a repository's workflows, per trigger.
    pub workflows: Option<&'a Analysis>,
    /// One parsed Dockerfile and the platforms it is built for.
    pub dockerfile: Option<DockerfileFacts<'a>>,
    /// One base image and the platforms its registry says it provides (`--online`).
    pub base: Option<BaseFacts<'a>>,
}

/// A parsed Dockerfile, where it is, what it is built for, and the ARGs declared before its
/// first `FROM` (which every stage rule needs).
pub struct DockerfileFacts<'a> {
    pub df: &'a Dockerfile,
    pub artifact: &'a str,
    pub ctx: &'a Context,
    /// Names declared with `ARG` before the first `FROM`.
    pub globals: BTreeSet<String>,
}

impl<'a> DockerfileFacts<'a> {
    pub fn new(df: &'a Dockerfile, artifact: &'a str, ctx: &'a Context) -> Self {
        let globals = df.instructions[df.preamble.clone()]
            .iter()
            .filter(|i| i.keyword == "ARG")
            .flat_map(|i| arg_names(&i.args).into_iter().map(|(n, _)| n))
            .collect();
        DockerfileFacts { df, artifact, ctx, globals }
    }

    /// How findings name a stage: its `AS` name, else its base image.
    pub(crate) fn stage_label(stage: &Stage) -> String {
        stage.name.clone().unwrap_or_else(|| stage.image.clone())
    }
}

/// A base image of a Dockerfile and what its registry lists.
pub struct BaseFacts<'a> {
    pub artifact: &'a str,
    pub base: &'a BaseImage,
    pub available: &'a [String],
}

/// Where a finding about a build site points.
pub(crate) fn subject(at: &Loc) -> Subject {
    Subject::position(&at.artifact, at.line, Some(at.column))
}

/// The architecture word of a URL or `GOARCH=`, as a whole token.
pub(crate) fn arch_token(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    ARCH_WORDS.iter().copied().find(|w| {
        lower.match_indices(w).any(|(i, _)| {
            let before = lower[..i].chars().last();
            let after = lower[i + w.len()..].chars().next();
            before.is_none_or(|c| !c.is_ascii_alphanumeric()) && after.is_none_or(|c| !c.is_ascii_alphanumeric())
        })
    })
}

/// The http(s) URLs written in an instruction.
pub(crate) fn urls(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '(' || c == ')')
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
}

/// Runs the rules `enabled` accepts over `facts`. Workflow findings are reported once per rule,
/// place and message: a step evaluated for several events or matrix combinations is one
/// finding. Dockerfile findings are kept as they come, as they always were.
pub fn check_enabled(facts: &Facts, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    crate::rules::run(facts, enabled, &mut out);
    let mut seen = BTreeSet::new();
    out.into_iter()
        .filter(|f| {
            !f.rule.id.starts_with("workflow/") || seen.insert((f.rule.id, f.subject.clone(), f.message.clone()))
        })
        .collect()
}
