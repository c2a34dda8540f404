//! `image/null-manifest`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, ManifestList, Step};

declare_rule! {
    /// ## What it catches
    /// `manifest.json` that is `null`, or an index whose `manifests` is `null` or absent.
    ///
    /// ## Why it breaks releases
    /// Docker 25.0.0–25.0.3 wrote `"manifests": null` into index.json; every engine that reads
    /// index.json then finds no image (`no manifests`, `index.json: no image`).
    ///
    /// ## Fix
    /// Re-save with a fixed Docker (≥ 25.0.4), or re-export with skopeo.
    ///
    /// ## Example
    /// `{"schemaVersion":2,"manifests":null}`.
    pub RULE = ("image/null-manifest", Error, "manifest list is null or missing");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::NoManifests { subject, list } = step else { continue };
        let (message, remedy) = match list {
            ManifestList::IndexJson => (
                "index.json has no manifests (`manifests` is null or absent)",
                "Re-save with Docker ≥ 25.0.4, or re-export with skopeo copy.",
            ),
            ManifestList::NestedIndex => ("nested index has no manifests (`manifests` is null or absent)", ""),
            ManifestList::ManifestJsonNull => {
                ("manifest.json is null", "Re-save the image with docker save or skopeo copy.")
            }
            ManifestList::ManifestJsonEmpty => ("manifest.json lists no images", ""),
        };
        facts.emit(out, at, Finding::new(&RULE, subject.clone(), message).remedy(remedy));
    }
}
