//! `image/layer-path-escape`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

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
    for (at, subject, _, _, layer) in facts.layers() {
        if layer.escape_count == 0 {
            continue;
        }
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
