//! `image/layer-path-escape`.

use std::collections::HashSet;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A layer member whose path is absolute or contains `..`, or a hard link whose target
    /// does.
    ///
    /// ## Why it breaks releases
    /// A careful engine rejects the layer; a careless extractor writes outside the root file
    /// system (the class of CVE-2019-14271 and the tar-slip bugs).
    ///
    /// ## Fix
    /// Rebuild the layer with a normal build tool; never craft layer tars by hand.
    ///
    /// ## Example
    /// `../../etc/cron.d/x` in layer `sha256:5d2c…`.
    pub RULE = ("image/layer-path-escape", Error, "a layer entry leaves the root file system");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // A layer shared by many images is reported once.
    let mut reported = HashSet::new();
    for (at, step) in facts.steps() {
        let Step::LayerContent { subject, entry, blob, .. } = step else { continue };
        if !reported.insert(entry.path.as_str()) {
            continue;
        }
        let Some(layer) = blob.layer.as_ref().filter(|l| l.escape_count > 0) else { continue };
        let n = layer.escape_count;
        let mut f = Finding::new(
            &RULE,
            subject.clone(),
            format!("{n} entr{} leave the root", if n == 1 { "y would" } else { "ies would" }),
        );
        for (p, why) in &layer.escapes {
            f.evidence.push(("entry".into(), format!("{p} ({why})")));
        }
        f.remedy = "Rebuild the layer with a normal build tool.".into();
        facts.emit(out, at, f);
    }
}
