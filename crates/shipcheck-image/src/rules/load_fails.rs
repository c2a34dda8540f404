//! `engine/load-fails`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// An engine (from `--engine`, or the default set: the engines on GitHub-hosted Ubuntu
    /// runners, current Fedora and Debian) that will refuse to load the archive, with the error
    /// it gives: Docker before 25 on an archive without manifest.json, Docker before 23 on zstd
    /// layers, `ctr images import` on a compressed archive, an engine that stops at a damaged
    /// blob. Damage is judged per engine, as measured live: Docker refuses a wrong diff_id that
    /// podman loads; ctr fails but leaves an image record behind (said so in the message, with
    /// the names it leaves). An engine that loads despite the damage gets no finding of this
    /// rule: its row in the engines table says `loads despite <damage>`, next to the damage
    /// finding itself. An archive too damaged to read at all (not a tar, cut off, empty) gets
    /// one of these per engine, with each engine's own words.
    ///
    /// ## Why it breaks releases
    /// The archive is published and users' `docker load` / `podman load` fails.
    ///
    /// ## Fix
    /// `shipcheck convert` writes the form every engine loads; or ship the format the engine
    /// reads (a docker save archive with manifest.json, gzip layers). A damaged archive: export
    /// it again from its build (convert will not copy damage).
    ///
    /// ## Example
    /// An OCI-only archive on Docker 20.10: `open /var/lib/docker/tmp/docker-import-…/blobs/json: no such file or directory`.
    pub RULE = ("engine/load-fails", Error, "an engine will fail to load the archive");
}

/// Engine findings are predictions over the whole verified image against the engine table
/// ([`crate::engine::report`]), made only when engines are asked for: the walk's facts hold
/// nothing for this rule to judge.
pub(crate) fn check(_facts: &Facts, _out: &mut Vec<Finding>) {}
