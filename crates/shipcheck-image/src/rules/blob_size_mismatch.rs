//! `image/blob-size-mismatch`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};

declare_rule! {
    /// ## What it catches
    /// A blob whose byte count differs from the `size` its descriptor declares.
    ///
    /// ## Why it breaks releases
    /// Registries reject the push (`size mismatch`), and containerd aborts the import. A
    /// truncated copy is the usual cause.
    ///
    /// ## Fix
    /// Re-export or re-download the image; never edit descriptor sizes by hand.
    ///
    /// ## Example
    /// A layer descriptor says `"size": 2811969` and the blob has 2811904 bytes.
    pub RULE = ("image/blob-size-mismatch", Error, "a blob's size differs from its descriptor");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::Blob { subject, what, declared_size: Some(size), entry, .. } = step else { continue };
        if *size >= 0 && *size as u64 == entry.size {
            continue;
        }
        let f = Finding::new(
            &RULE,
            subject.clone(),
            format!("{what} has {} bytes, its descriptor declares {size}", entry.size),
        )
        .evidence("path", &entry.path)
        .remedy("Re-export or re-download the image; never edit descriptor sizes by hand.");
        facts.emit(out, at, f);
    }
}
