//! `image/duplicate-blob`.

use std::collections::BTreeMap;

use shipcheck_report::{declare_rule, Finding};

use crate::digest::Digest;
use crate::facts::{At, Facts};

declare_rule! {
    /// ## What it catches
    /// The same content stored more than once in one archive under different names.
    ///
    /// ## Why it matters
    /// The archive is larger than it needs to be; `docker save` uses symlinks for shared
    /// layers for exactly this reason.
    ///
    /// ## Fix
    /// Re-export with a tool that de-duplicates blobs.
    ///
    /// ## Example
    /// `a1…/layer.tar` and `b2…/layer.tar` are byte-identical.
    pub RULE = ("image/duplicate-blob", Note, "the same content is stored twice");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // Small blobs (empty layers, tiny configs) repeat by nature; only real layers count.
    let mut by_digest: BTreeMap<&Digest, Vec<&str>> = BTreeMap::new();
    for e in facts.tree.entries.values() {
        if let Some(f) = &e.facts {
            if let (Some(d), true) = (&f.digest, f.layer.is_some() && e.size > 1024) {
                by_digest.entry(d).or_default().push(&e.path);
            }
        }
    }
    for (d, paths) in by_digest.into_iter().filter(|(_, p)| p.len() > 1) {
        let mut f =
            Finding::new(&RULE, facts.digest_subject(d), format!("the same layer is stored {} times", paths.len()));
        for p in paths {
            f.evidence.push(("path".into(), p.to_string()));
        }
        f.remedy = "Re-export with a tool that de-duplicates blobs (docker save links shared layers).".into();
        facts.emit(out, At::DuplicateBlobs, f);
    }
}
