//! `dockerfile/build-platform-in-final-stage`.

use shipcheck_report::{declare_rule, Finding};

use shipcheck_report::Severity;

use crate::dockerfile::references;
use crate::facts::{Facts, BUILD_ARGS};

declare_rule! {
    /// ## What it catches
    /// The final stage (the image that ships) built `FROM --platform=$BUILDPLATFORM`, or
    /// reading `BUILDPLATFORM`/`BUILDARCH`/`BUILDOS`.
    ///
    /// ## Why it breaks releases
    /// `$BUILDPLATFORM` is the machine running the build. A final stage pinned to it ships the
    /// build host's base image and binaries under every target platform's name.
    ///
    /// ## Fix
    /// Use `$BUILDPLATFORM` only in builder stages, and `TARGETPLATFORM`/`TARGETARCH` (or no
    /// `--platform`) in the final stage.
    ///
    /// ## Example
    /// `FROM --platform=$BUILDPLATFORM alpine` as the last stage.
    pub RULE = ("dockerfile/build-platform-in-final-stage", Error, "the final stage uses the build platform");
}

/// Only the last stage is the image that ships.
pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    let Some(stage) = d.df.stages.last() else { return };
    let (df, artifact) = (d.df, d.artifact);
    let from = &df.instructions[stage.from];
    if let Some(p) = stage.platform.as_deref().filter(|p| BUILD_ARGS.iter().any(|b| p.contains(b))) {
        out.push(
            Finding::new(&RULE, from.subject(artifact), format!("the final stage is built FROM --platform={p}, the build machine's platform"))
                .evidence("image", &stage.image)
                .remedy("Drop --platform from the final FROM (it defaults to the target platform), and keep $BUILDPLATFORM for builder stages."),
        );
        return;
    }
    for ins in &df.instructions[stage.body.clone()] {
        if let Some(name) = references(&ins.text(), df.escape).into_iter().find(|r| BUILD_ARGS.contains(&r.as_str())) {
            out.push(
                Finding::new(
                    &RULE,
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
