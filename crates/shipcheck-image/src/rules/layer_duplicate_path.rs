//! `image/layer-duplicate-path`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

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
    for (at, subject, _, _, layer) in facts.layers() {
        if layer.duplicate_count == 0 {
            continue;
        }
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
