//! `image/diff-id-mismatch`.

use std::collections::HashSet;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A layer whose *decompressed* content does not hash to the `rootfs.diff_ids` entry at
    /// the same position in the image config.
    ///
    /// ## Why it breaks releases
    /// Docker and Podman verify diff_ids on load and stop with `layer … does not match
    /// diff_id` or `invalid diffID`. A layer recompressed correctly keeps its diff_id; a layer
    /// whose content changed does not.
    ///
    /// ## Fix
    /// Re-export the image with a tool that rewrites the config together with the layers
    /// (`skopeo copy`, `crane`), or rebuild it.
    ///
    /// ## Example
    /// Layer 2 decompresses to `sha256:ab12…`, config says `sha256:77ce…`.
    pub RULE = ("image/diff-id-mismatch", Error, "a layer's uncompressed digest differs from the config's diff_id");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // The same config over the same layers (an image listed under many names) is compared once.
    let mut compared = HashSet::new();
    for (at, step) in facts.steps() {
        let Step::DiffIds { subject, declared, computed } = step else { continue };
        if !compared.insert(format!("{:?}:{:?}", subject.locator, computed)) {
            continue;
        }
        for (i, (want, got)) in declared.iter().zip(computed).enumerate() {
            let Some(got) = got else { continue };
            if &got.to_string() == want {
                continue;
            }
            let f = Finding::new(
                &RULE,
                subject.clone(),
                format!("layer {} decompresses to a different digest than diff_ids[{i}]", i + 1),
            )
            .evidence("diff_id", want)
            .evidence("actual", got)
            .remedy("Re-export the image with a tool that rewrites config and layers together, or rebuild it.");
            facts.emit(out, at, f);
        }
    }
}
