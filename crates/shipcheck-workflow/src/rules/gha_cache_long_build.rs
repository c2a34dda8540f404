//! `workflow/gha-cache-long-build`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{subject, Facts};
use crate::workflow::{Build, CACHE_URL_MINUTES};

declare_rule! {
    /// ## What it catches
    /// A build step that imports a `type=gha` cache (`cache-from`) and then pushes its image or
    /// exports a cache to another backend (`cache-to` other than `type=gha`), in a job that may
    /// run longer than the cache's signed URLs live (10 minutes). A job or step with `timeout-minutes` of 10 or less is short and is not
    /// reported; without `timeout-minutes` a job may run for GitHub's default of 360 minutes.
    /// Exporting back to the gha cache does not count: BuildKit's gha exporter loads each blob's
    /// entry afresh and skips the blobs the cache already has (all the imported ones). Builds of
    /// `docker/build-push-action` and of bake targets are judged; a `type=gha` cache written in a
    /// `run:` script is not. Loading the image (`load: true`, a `type=docker` tar) after a long
    /// build reads the cached layers too, but is not reported. A build whose Dockerfile earlier
    /// steps of the same job already built for each of its platforms is not reported either:
    /// the job's builder holds every layer, so the push takes none from the gha cache.
    ///
    /// ## Why it breaks releases
    /// BuildKit loads the gha cache at the start of the build and keeps the signed download
    /// URL of each cached layer it did not need to pull. Those URLs expire ten minutes after
    /// they are issued (moby/buildkit#6053). When a long build reaches the push or the cache
    /// export and then needs one of those layers, the download fails with 403 and a validity
    /// window in the error text (`Signature not valid in the specified time frame`; mirrord
    /// 3.137.0, metalbear-co/mirrord#3210; docker/bake-action#312). BuildKit 0.23 reloads
    /// expired URLs; builders pinned to an older BuildKit still fail.
    ///
    /// ## Fix
    /// Keep long builds from depending on a cache credential issued at their start: use a
    /// registry cache (`type=registry`), build each platform in its own job and merge them with
    /// `docker buildx imagetools create`, or use a BuildKit of 0.23 or later.
    ///
    /// ## Example
    /// `cache-from: type=gha`, `cache-to: type=gha,mode=max`, `push: true`, no `timeout-minutes`.
    pub RULE = ("workflow/gha-cache-long-build", Warning, "a gha cache import in a long build that pushes or exports a cache elsewhere");
}

/// Whether the build's job (or step) may outlive a signed cache URL.
fn may_outlive_cache_url(b: &Build) -> bool {
    b.timeout_minutes.is_none_or(|m| m > CACHE_URL_MINUTES)
}

/// Whether earlier steps of the same job built this Dockerfile for every platform `b` builds:
/// the job's builder then holds every layer, so the push needs no blob from the gha cache and
/// no URL issued at the step's start (kubo builds each platform, then pushes them together).
fn builder_is_warm(builds: &[Build], b: &Build) -> bool {
    let (Some(want), Some(file)) = (b.known_platforms(), b.dockerfile()) else { return false };
    let mut built = std::collections::BTreeSet::new();
    for e in builds.iter().filter(|e| {
        e.workflow == b.workflow
            && e.job == b.job
            && e.event == b.event
            && e.at.artifact == b.at.artifact
            && e.at.line < b.at.line
            && e.dockerfile().as_ref() == Some(&file)
    }) {
        built.extend(e.known_platforms().unwrap_or_default());
    }
    !want.is_empty() && want.iter().all(|p| built.contains(p))
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for b in a.builds.iter().filter(|b| {
        b.gha_import && (b.push || b.cache_export) && may_outlive_cache_url(b) && !builder_is_warm(&a.builds, b)
    }) {
        let what = match (b.push, b.cache_export) {
            (true, true) => "pushes its image and exports a registry cache",
            (true, false) => "pushes its image",
            _ => "exports a registry cache",
        };
        let limit = match b.timeout_minutes {
            Some(m) => format!("timeout-minutes: {m}"),
            None => "no timeout-minutes (GitHub's default: 360)".to_string(),
        };
        out.push(
            Finding::new(
                &RULE,
                subject(&b.at),
                format!("job {} imports the gha cache and {what}, and may run longer than the cache's 10-minute signed URLs", b.job),
            )
            .evidence("event", &b.event)
            .evidence("tool", &b.tool)
            .evidence("job_limit", limit)
            .remedy("Use a registry cache (type=registry), or build each platform in its own job and merge them with `docker buildx imagetools create`, or use BuildKit 0.23 or later (it reloads expired cache URLs), so no URL issued at the start is used at the end of a long build."),
        );
    }
}
