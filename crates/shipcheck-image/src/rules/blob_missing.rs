//! `image/blob-missing`.

use shipcheck_report::{declare_rule, Finding, Severity};

use crate::facts::{Facts, Step, Unusable};

declare_rule! {
    /// ## What it catches
    /// A descriptor (in index.json, a manifest, or manifest.json) names a blob that is not in
    /// the archive or layout.
    ///
    /// ## Why it breaks releases
    /// Every engine refuses the image on load (`blob sha256:… not found`, `file does not
    /// exist`). Hand-trimmed archives and `oci` layouts garbage-collected by another tool lose
    /// blobs silently.
    ///
    /// ## Fix
    /// Re-export the image from a store that has every blob (`skopeo copy`, `docker save`),
    /// or drop the descriptor that names the missing blob.
    ///
    /// ## Example
    /// `index.json` lists `sha256:3b1f…` but `blobs/sha256/3b1f…` is absent.
    pub RULE = ("image/blob-missing", Error, "a referenced blob is not in the image");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let f = match step {
            Step::Unusable { subject, what, path, why: Unusable::Missing } => {
                Finding::new(&RULE, subject.clone(), format!("{what} `{path}` is not in the archive"))
                    .remedy("Re-export the image from a store that has every blob.")
            }
            Step::Unusable { subject, what, path, why: Unusable::NotAFile } => {
                Finding::new(&RULE, subject.clone(), format!("{what} `{path}` is not a regular file"))
            }
            // A platform manifest absent from a partial export (containerd `ctr export
            // --platform`, Docker's containerd store) is normal there: one note for the index,
            // not an error per platform. If none is present, each absent one is an error.
            Step::PartialIndex { subject, children, absent, present, absent_platforms }
                if *absent > 0 && *present > 0 =>
            {
                let message = format!(
                    "{absent} of {children} manifests in this index are not in the archive (a partial, single-platform export)"
                );
                Finding::new(&RULE, subject.clone(), message)
                    .severity(Severity::Note)
                    .evidence("absent_platforms", absent_platforms.join(", "))
                    .remedy("Nothing, if only the included platforms are meant to ship; otherwise export all platforms (--all-platforms).")
            }
            Step::ForeignAbsent { subject, media_type } => Finding::new(
                &RULE,
                subject.clone(),
                "foreign layer is not in the archive (engines fetch it from its URLs)",
            )
            .severity(Severity::Note)
            .evidence("media_type", media_type.clone().unwrap_or_default())
            .remedy("Nothing, if the hosts that load it can reach the layer's URLs; otherwise push with --allow-nondistributable-artifacts."),
            Step::RepositoriesLayer { subject, repo, tag, id, present: false } => Finding::new(
                &RULE,
                subject.clone(),
                format!("repositories names layer `{id}` for {repo}:{tag}, which is not in the archive"),
            )
            .severity(Severity::Warning),
            _ => continue,
        };
        facts.emit(out, at, f);
    }
}
