//! `workflow/gha-cache-long-build`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{subject, Facts};

declare_rule! {
    /// ## What it catches
    /// A `type=gha` cache import or export in a job that also pushes an image.
    ///
    /// ## Why it breaks releases
    /// The GitHub cache backend hands BuildKit signed URLs valid for a limited time. A long
    /// multi-platform build that imports the cache early and exports it or pushes late can use
    /// them after they expire: the push or cache export fails with 403 and a validity window
    /// in the error text (mirrord 3.137.0, metalbear-co/mirrord#3210).
    ///
    /// ## Fix
    /// Keep long builds from depending on a cache credential issued at their start: export
    /// the cache in a separate short job, use `type=registry` cache, or split platforms into
    /// per-platform jobs that are merged with `docker buildx imagetools create`.
    ///
    /// ## Example
    /// `cache-from: type=gha`, `cache-to: type=gha,mode=max`, `push: true`.
    pub RULE = ("workflow/gha-cache-long-build", Warning, "a gha cache in a job that pushes");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for b in a.builds.iter().filter(|b| b.gha_cache && b.job_pushes) {
        out.push(
            Finding::new(&RULE, subject(&b.at), format!("job {} uses the gha cache and pushes an image", b.job))
                .evidence("event", &b.event)
                .evidence("tool", &b.tool)
                .remedy("Export the cache from a separate short job, use a registry cache (type=registry), or build each platform in its own job and merge them with `docker buildx imagetools create`, so no credential issued at the start is used at the end of a long build."),
        );
    }
}
