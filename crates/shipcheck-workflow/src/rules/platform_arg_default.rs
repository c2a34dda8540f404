//! `dockerfile/platform-arg-default`.

use shipcheck_report::{declare_rule, Finding};

use crate::dockerfile::arg_names;
use crate::facts::{Facts, TARGET_ARGS};

declare_rule! {
    /// ## What it catches
    /// `ARG TARGETARCH=…` (or `TARGETPLATFORM`, `TARGETOS`, `TARGETVARIANT`) with a default.
    ///
    /// ## Why it breaks releases
    /// With a default, BuildKit treats the automatic platform argument as an ordinary build
    /// argument and uses the default: every platform of a multi-platform build gets the value
    /// written there, e.g. amd64 binaries in the arm64 image (docker/buildx#510;
    /// apache/skywalking-swck#215 shipped x86-64 binaries in its arm64 image this way).
    ///
    /// ## Fix
    /// Declare it without a default, `ARG TARGETARCH`, and derive any fallback in the shell
    /// (`${TARGETARCH:-amd64}`).
    ///
    /// ## Example
    /// `ARG TARGETARCH=amd64`.
    pub RULE = ("dockerfile/platform-arg-default", Error, "an automatic platform ARG given a default");
}

/// Anywhere in the file: before the first `FROM` as in a stage.
pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    for ins in d.df.instructions.iter().filter(|i| i.keyword == "ARG") {
        for (name, has_default) in arg_names(&ins.args) {
            if has_default && TARGET_ARGS.contains(&name.as_str()) {
                out.push(
                    Finding::new(&RULE, ins.subject(d.artifact), format!("`ARG {}` gives {name} a default, which BuildKit then uses for every platform", ins.args))
                        .evidence("instruction", format!("ARG {}", ins.args))
                        .remedy(format!("Declare it without a default: `ARG {name}`; derive a fallback in the shell with ${{{name}:-…}}.")),
                );
            }
        }
    }
}
