//! `image/unknown-entry`.

use std::collections::BTreeMap;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{At, Facts};

declare_rule! {
    /// ## What it catches
    /// A file in the archive or layout that is part of no known image format structure and
    /// is referenced by nothing (e.g. `.DS_Store`, AppleDouble `._*` files).
    ///
    /// ## Why it matters
    /// Strict readers reject stray files under `blobs/` (`invalid digest`), and they reveal an
    /// archive that was repacked by hand.
    ///
    /// ## Fix
    /// Re-export the image instead of repacking it.
    ///
    /// ## Example
    /// `blobs/sha256/._3b1f…`.
    pub RULE = ("image/unknown-entry", Note, "a file that belongs to no image structure");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    const REMEDY: &str = "Re-export the image instead of repacking it by hand.";
    let Some(leftovers) = &facts.leftovers else { return };
    // Stray files come in crowds (an unpacked layer, macOS metadata): one finding per directory
    // once there are more than a few.
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &leftovers.unknown {
        let dir = p.rsplit_once('/').map_or("", |(d, _)| d);
        by_dir.entry(dir).or_default().push(p);
    }
    for (dir, paths) in by_dir {
        if paths.len() <= 3 {
            for p in paths {
                let f = Finding::new(
                    &RULE,
                    facts.entry_subject(p),
                    "file belongs to no image structure and nothing refers to it",
                )
                .remedy(REMEDY);
                facts.emit(out, At::Leftovers, f);
            }
            continue;
        }
        let s = facts.entry_subject(if dir.is_empty() { "." } else { dir });
        let mut f =
            Finding::new(&RULE, s, format!("{} files in this directory belong to no image structure", paths.len()))
                .remedy(REMEDY);
        for p in paths.iter().take(5) {
            f.evidence.push(("example".into(), p.to_string()));
        }
        facts.emit(out, At::Leftovers, f);
    }
}
