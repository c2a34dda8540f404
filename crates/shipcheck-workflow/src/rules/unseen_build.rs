//! `workflow/unseen-build`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{subject, Facts};

declare_rule! {
    /// ## What it catches
    /// A place where a workflow hands image builds to something shipcheck cannot read offline:
    /// a reusable workflow of another repository whose name says it builds or publishes
    /// images, a script the workflow (or a Make target it runs) calls that is not in the
    /// repository and whose name says it builds images, a GoReleaser configuration whose name
    /// is known only at run time or that is not YAML (a `.tmpl`), a Compose file that is not
    /// there.
    ///
    /// ## Why it breaks releases
    /// It does not break anything by itself. The drift and QEMU checks judge only the builds
    /// they see; without this note, a release that builds its images in a remote workflow or a
    /// generated configuration would read "no findings" as "no drift".
    ///
    /// ## Fix
    /// Nothing, or check those builds by hand: compare the platforms the remote workflow or
    /// script builds after merge with what pull requests build. Where it is cheap, keep the
    /// build's platform list in the repository (a local reusable workflow, a script in the
    /// repository, a literal `--config`).
    ///
    /// ## Example
    /// `uses: docker/github-builder/.github/workflows/bake.yml@v1` in a release workflow, or
    /// `run: ./build_docker.sh` where build_docker.sh is not in the repository.
    pub RULE = ("workflow/unseen-build", Note, "image builds the workflows hand to something shipcheck cannot read");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for u in &a.unseen {
        let events: Vec<&str> = {
            let mut e: Vec<&str> =
                a.unseen.iter().filter(|x| x.at == u.at && x.what == u.what).map(|x| x.event.as_str()).collect();
            e.sort();
            e.dedup();
            e
        };
        out.push(
            Finding::new(&RULE, subject(&u.at), format!("{} is not seen", u.what))
                .evidence("why", &u.why)
                .evidence("events", events.join(", "))
                .remedy("Nothing to fix here; the drift and QEMU checks do not cover these builds, so compare their platforms with what pull requests build by hand."),
        );
    }
}
