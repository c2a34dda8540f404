//! `engine/other-name`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// An engine that loads the archive under names other than the ones it carries (RepoTags,
    /// `io.containerd.image.name`, a full `org.opencontainers.image.ref.name`), or under none.
    ///
    /// ## Why it breaks releases
    /// Scripts and applications that look the image up by name do not find it; each engine
    /// also shows a different image ID (the config digest in Docker's graphdriver store and
    /// Podman, the manifest or index digest in containerd), which the finding lists.
    ///
    /// ## Fix
    /// Give the archive full names in every place engines read them: RepoTags in manifest.json
    /// and `io.containerd.image.name` plus a full `ref.name` in index.json (`shipcheck convert`
    /// does), or look the image up by the IDs listed.
    ///
    /// ## Example
    /// RepoTags `app:1.0` load in Podman as `localhost/app:1.0`, in Docker as `docker.io/library/app:1.0`.
    pub RULE = ("engine/other-name", Warning, "an engine will load the image under another name");
}

/// Engine findings are predictions over the whole verified image against the engine table
/// ([`crate::engine::report`]), made only when engines are asked for: the walk's facts hold
/// nothing for this rule to judge.
pub(crate) fn check(_facts: &Facts, _out: &mut Vec<Finding>) {}
