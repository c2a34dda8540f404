//! `image/no-layers`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{list_or_none, Facts, Step};

declare_rule! {
    /// ## What it catches
    /// An image manifest (or manifest.json entry) with no layers.
    ///
    /// ## Why it breaks releases
    /// Docker 25.0.x `docker save` wrote such manifests; older Docker and some registries
    /// refuse them, and a `FROM scratch` image with nothing added is rarely what was meant.
    ///
    /// ## Fix
    /// Re-save with Docker ≥ 25.0.4, or check that the build really added files.
    ///
    /// ## Example
    /// `"layers": []` in the manifest of `example:latest`.
    pub RULE = ("image/no-layers", Warning, "an image has no layers");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::Layers { subject, entry, count: 0, names, image, attestation } = step else { continue };
        let message = match entry {
            Some(i) => format!("manifest.json[{i}] has no layers"),
            // Artifacts and attestations carry no file-system layers by design.
            None if *image && !*attestation => "image manifest has no layers".to_string(),
            None => continue,
        };
        let f = Finding::new(&RULE, subject.clone(), message)
            .evidence("names", list_or_none(names))
            .remedy("Re-save with Docker ≥ 25.0.4, or check that the build added files.");
        facts.emit(out, at, f);
    }
}
