//! `image/layer-count-mismatch`.

use std::collections::HashSet;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A manifest whose number of layers differs from the number of `rootfs.diff_ids` in its
    /// config.
    ///
    /// ## Why it breaks releases
    /// Engines pair layers with diff_ids by position: a different count means at least one
    /// layer is unverifiable and the load fails (`mismatched number of layers`).
    ///
    /// ## Fix
    /// Re-export the image; a hand-edited manifest or config is the usual cause.
    ///
    /// ## Example
    /// `manifest.json` lists 1 layer and the config has 3 diff_ids.
    pub RULE = ("image/layer-count-mismatch", Error, "layer count differs from the config's diff_ids");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // The same config over the same layers (an image listed under many names) is compared once.
    let mut compared = HashSet::new();
    for (at, step) in facts.steps() {
        let Step::DiffIds { subject, declared, computed } = step else { continue };
        if !compared.insert(format!("{:?}:{:?}", subject.locator, computed)) || declared.len() == computed.len() {
            continue;
        }
        let message = format!("{} layer(s), but the config has {} diff_id(s)", computed.len(), declared.len());
        let f = Finding::new(&RULE, subject.clone(), message)
            .remedy("Re-export the image; a hand-edited manifest or config is the usual cause.");
        facts.emit(out, at, f);
    }
}
