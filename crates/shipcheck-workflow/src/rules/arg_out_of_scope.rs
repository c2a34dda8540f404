//! `dockerfile/arg-out-of-scope`.

use shipcheck_report::{declare_rule, Finding};

use std::collections::BTreeSet;

use crate::dockerfile::{arg_names, env_names, references, Dockerfile, Stage};
use crate::facts::{DockerfileFacts, Facts, BUILD_ARGS, TARGET_ARGS};

declare_rule! {
    /// ## What it catches
    /// A variable used in a build stage that is declared with `ARG` only before the first
    /// `FROM` (or is an automatic platform argument such as `TARGETARCH`) and is not declared
    /// again inside the stage, nor in the stage it is built `FROM` (a stage inherits the ARGs
    /// and ENVs of its parent stage).
    ///
    /// ## Why it breaks releases
    /// An `ARG` before `FROM` is in scope for `FROM` lines only. Inside a stage it expands to
    /// an empty string without any error: download URLs lose their version or architecture,
    /// `GOARCH=` builds for the build host (docker/buildx#1805).
    ///
    /// ## Fix
    /// Add `ARG NAME` (no value: it inherits the global default) inside the stage, before the
    /// first use.
    ///
    /// ## Example
    /// `ARG VERSION=1.2` / `FROM alpine` / `RUN wget …/v${VERSION}/tool.tgz`.
    pub RULE = ("dockerfile/arg-out-of-scope", Warning, "a global or platform ARG used in a stage that does not declare it");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    for stage in &d.df.stages {
        out_of_scope(d, stage, out);
    }
}

/// Names a stage inherits from the stages it is built `FROM`: their ENVs, which are in the
/// image, and their ARGs, which BuildKit carries into stages based on them (dispatch copies
/// the parent stage's build args).
fn inherited(df: &Dockerfile, stage: &Stage, depth: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let image = stage.image.to_ascii_lowercase();
    if let Some(parent) =
        df.stages.iter().take_while(|s| s.from < stage.from).find(|s| s.name.as_deref() == Some(image.as_str()))
    {
        if depth < 32 {
            names.extend(inherited(df, parent, depth + 1));
        }
        for ins in df.instructions[parent.body.clone()].iter() {
            match ins.keyword.as_str() {
                "ENV" => names.extend(env_names(&ins.args)),
                "ARG" => names.extend(arg_names(&ins.args).into_iter().map(|(n, _)| n)),
                _ => {}
            }
        }
    }
    names
}

fn out_of_scope(d: &DockerfileFacts, stage: &Stage, out: &mut Vec<Finding>) {
    let (df, globals) = (d.df, &d.globals);
    let mut declared = inherited(df, stage, 0);
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
                    &RULE,
                    ins.subject(d.artifact),
                    format!("${name} is empty here: the stage does not declare it"),
                )
                .evidence("why", why)
                .evidence("stage", DockerfileFacts::stage_label(stage))
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
