//! `image/archive-unsafe-entry`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step, Unusable};
use crate::tree::TreeProblem;
use crate::verify::MANIFEST_JSON_PATH;

declare_rule! {
    /// ## What it catches
    /// An archive member whose name or link target leaves the archive (absolute, `..`), a link
    /// loop, or a name that is not UTF-8.
    ///
    /// ## Why it breaks releases
    /// Engines extract image archives to a temp directory before loading; such members are a
    /// path-traversal risk and are refused by careful loaders.
    ///
    /// ## Fix
    /// Re-create the archive with `docker save` or `skopeo copy`.
    ///
    /// ## Example
    /// `abc/layer.tar -> ../../../../etc/shadow`.
    pub RULE = ("image/archive-unsafe-entry", Error, "an archive member escapes the archive or loops");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    const REMEDY: &str = "Re-create the archive with docker save or skopeo copy.";
    for (at, step) in facts.steps() {
        let f = match step {
            Step::ArchiveProblem(TreeProblem::UnsafeName { path, why }) => {
                Finding::new(&RULE, facts.entry_subject(path), format!("member name {why}")).remedy(REMEDY)
            }
            Step::BadLink { path, target, why } => Finding::new(&RULE, facts.entry_subject(path), format!("link {why}"))
                .evidence("target", target)
                .remedy(REMEDY),
            // The name itself (not a link in the archive) points outside it: an engine that
            // joins it to its unpack directory reads the host's file, or finds nothing.
            Step::Unusable { subject, what, path, why: Unusable::NameLeaves(why) } => Finding::new(
                &RULE,
                subject.clone(),
                format!("manifest.json names {what} `{path}`, which {why}: it is not a member of the archive"),
            )
            .evidence(MANIFEST_JSON_PATH, path)
            .remedy("Re-create the archive with docker save or skopeo copy; never load an archive whose manifest.json names paths outside it."),
            _ => continue,
        };
        facts.emit(out, at, f);
    }
}
