//! `engine/podman3-localhost-name`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A BuildKit-style archive whose index.json `ref.name` is a bare tag: Podman 3 (containers/
    /// common before it read `io.containerd.image.name`) loads it as `localhost/<tag>:latest`.
    ///
    /// ## Why it breaks releases
    /// Dangerzone's Debian packages loaded their container image as `localhost/latest:latest` on
    /// Podman 3 and then failed to find it (freedomofpress/dangerzone#988).
    ///
    /// ## Fix
    /// Ship a docker save archive with RepoTags (`shipcheck convert --for podman@3.4`), or write
    /// the full reference into `org.opencontainers.image.ref.name`.
    ///
    /// ## Example
    /// `ref.name: latest`, `io.containerd.image.name: dangerzone.rocks/dangerzone:latest`.
    pub RULE = ("engine/podman3-localhost-name", Warning, "Podman 3 loads the image as localhost/<tag>:latest");
}

/// Engine findings are predictions over the whole verified image against the engine table
/// ([`crate::engine::report`]), made only when engines are asked for: the walk's facts hold
/// nothing for this rule to judge.
pub(crate) fn check(_facts: &Facts, _out: &mut Vec<Finding>) {}
