//! `image/blob-digest-mismatch`.

use std::collections::HashSet;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A blob whose content does not hash to the digest that names it (its descriptor digest,
    /// its `blobs/<alg>/<hex>` path, or its `<hex>.json` config name).
    ///
    /// ## Why it breaks releases
    /// Content addressing is the integrity guarantee of an image. Engines and registries
    /// reject the blob (`digest mismatch`), or worse, a tool that skips the check ships
    /// corrupted bytes.
    ///
    /// ## Fix
    /// Rebuild or re-export the image. If the bytes were edited on purpose, re-compute the
    /// digest and update every descriptor that names it.
    ///
    /// ## Example
    /// `blobs/sha256/2f3c…` hashes to `sha256:9d1a…`.
    pub RULE = ("image/blob-digest-mismatch", Error, "a blob's content does not match its digest");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // A member named by many descriptors is reported once.
    let mut reported = HashSet::new();
    for (at, step) in facts.steps() {
        let Step::Blob { subject, what, digest, entry, .. } = step else { continue };
        let Some(actual) = entry.facts.as_ref().and_then(|f| f.digest.as_ref()) else { continue };
        if actual == digest || !reported.insert(entry.path.as_str()) {
            continue;
        }
        let f = Finding::new(&RULE, subject.clone(), format!("{what} content does not match its digest"))
            .evidence("path", &entry.path)
            .evidence("expected", digest)
            .evidence("actual", actual)
            .remedy("Rebuild or re-export the image; the bytes changed after the digest was computed.");
        facts.emit(out, at, f);
    }
}
