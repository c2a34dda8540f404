//! `image/layer-duplicate-path`.

use std::collections::HashSet;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A path that occurs more than once inside one layer.
    ///
    /// ## Why it matters
    /// Extractors keep the last one, some scanners read the first: what is scanned is not
    /// what runs.
    ///
    /// ## Fix
    /// Rebuild the layer.
    ///
    /// ## Example
    /// `usr/bin/app` twice in layer `sha256:8e0f…`.
    pub RULE = ("image/layer-duplicate-path", Warning, "a path occurs twice in one layer");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // A layer shared by many images is reported once.
    let mut reported = HashSet::new();
    for (at, step) in facts.steps() {
        let Step::LayerContent { subject, entry, blob, .. } = step else { continue };
        if !reported.insert(entry.path.as_str()) {
            continue;
        }
        let Some(layer) = blob.layer.as_ref().filter(|l| l.duplicate_count > 0) else { continue };
        let mut f = Finding::new(
            &RULE,
            subject.clone(),
            format!("{} path(s) occur more than once in this layer", layer.duplicate_count),
        );
        for p in &layer.duplicates {
            f.evidence.push(("path".into(), p.clone()));
        }
        f.remedy = "Rebuild the layer.".into();
        facts.emit(out, at, f);
    }
}
