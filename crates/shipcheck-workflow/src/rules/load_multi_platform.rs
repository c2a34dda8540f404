//! `workflow/load-multi-platform`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{subject, Facts};

declare_rule! {
    /// ## What it catches
    /// `load: true` (or `--load`, `--output type=docker`) on a build of more than one platform.
    ///
    /// ## Why it breaks releases
    /// The docker exporter cannot load a manifest list into Docker's classic image store: the
    /// build fails with `docker exporter does not currently support exporting manifest lists`
    /// (docker/buildx#59). Docker's containerd image store can; a job that enables it with
    /// `docker/setup-docker-action` (`containerd-snapshotter`) is not reported.
    ///
    /// ## Fix
    /// Load one platform (the runner's) for tests, and push or export the multi-platform
    /// build separately; or enable the containerd image store.
    ///
    /// ## Example
    /// `load: true` with `platforms: linux/amd64,linux/arm64`.
    pub RULE = ("workflow/load-multi-platform", Error, "load of a multi-platform build");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for b in &a.builds {
        let (true, Some(list)) = (b.load, b.known_platforms()) else { continue };
        if list.len() > 1 && !b.containerd_store {
            out.push(
                Finding::new(
                    &RULE,
                    subject(&b.at),
                    format!("{} loads a build of {} platforms into Docker", b.tool, list.len()),
                )
                .evidence("platforms", list.join(","))
                .evidence("job", &b.job)
                .evidence("predicted_error", "docker exporter does not currently support exporting manifest lists")
                .remedy("Load only the runner's platform for tests (platforms: linux/amd64 with load: true) and push the multi-platform build in a separate step, or enable Docker's containerd image store (docker/setup-docker-action with containerd-snapshotter)."),
            );
        }
    }
}
