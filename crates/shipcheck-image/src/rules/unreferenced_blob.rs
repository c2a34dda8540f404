//! `image/unreferenced-blob`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{At, Facts};

declare_rule! {
    /// ## What it catches
    /// A blob under `blobs/` that no index, manifest or manifest.json refers to.
    ///
    /// ## Why it matters
    /// It is dead weight in the archive, and often the trace of an image that was meant to
    /// be there (an index that lost an entry, a `manifests: null`).
    ///
    /// ## Fix
    /// Garbage-collect the layout, or restore the descriptor that should name the blob.
    ///
    /// ## Example
    /// `blobs/sha256/411c…` (a manifest) is not listed in index.json.
    pub RULE = ("image/unreferenced-blob", Note, "a blob nothing refers to");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(leftovers) = &facts.leftovers else { return };
    for p in &leftovers.blobs {
        let f = Finding::new(&RULE, facts.entry_subject(p), "no index, manifest or manifest.json refers to this blob")
            .remedy("Garbage-collect the layout, or restore the descriptor that should name it.");
        facts.emit(out, At::Leftovers, f);
    }
}
