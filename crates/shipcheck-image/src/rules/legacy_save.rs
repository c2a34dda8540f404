//! `image/legacy-save`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// An archive saved by Docker before 1.10: `repositories` and one directory per v1 layer
    /// (`<id>/json`, `<id>/layer.tar`), with neither manifest.json nor index.json.
    ///
    /// ## Why it breaks releases
    /// Only Docker's legacy loader reads it, and Docker 25 removed that loader: Podman,
    /// containerd, skopeo, buildah and Docker 25+ all refuse it (`shipcheck image --engine`
    /// shows each one's error). The images it holds have no content-addressed config, so
    /// their IDs are computed at load.
    ///
    /// ## Fix
    /// Load it into a Docker before 25 and `docker save` it again (or rebuild the image), then
    /// check the new archive; `shipcheck convert` cannot read this form.
    ///
    /// ## Example
    /// `repositories` names `example.com/old:1.0`; there is no manifest.json.
    pub RULE = ("image/legacy-save", Warning, "a pre-Docker-1.10 save that only Docker's legacy loader reads");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::LegacySave { subject } = step else { continue };
        let names = facts.repository_names();
        let f = Finding::new(
            &RULE,
            subject.clone(),
            "a save from Docker before 1.10 (repositories and v1 layer directories, no manifest.json): only Docker's legacy loader, removed in Docker 25, reads it",
        )
        .evidence("names", if names.is_empty() { "-".into() } else { names.join(", ") })
        .remedy("Load it into a Docker before 25 and `docker save` it again, or rebuild the image.");
        facts.emit(out, at, f);
    }
}
