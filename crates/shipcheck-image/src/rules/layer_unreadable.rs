//! `image/layer-unreadable`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A layer that cannot be read to its end: corrupt compression, a broken tar stream, or an
    /// unsupported compression (bzip2). A layer that expands past the decompression limit is
    /// `image/decompression-bomb`.
    ///
    /// ## Why it breaks releases
    /// The engine fails half-way through unpacking (`unexpected EOF`, `gzip: invalid header`),
    /// often only on the users' machines.
    ///
    /// ## Fix
    /// Rebuild or re-export the layer; check for truncated uploads or downloads.
    ///
    /// ## Example
    /// `gzip: invalid checksum` at 41 MiB into layer `sha256:0c1d…`.
    pub RULE = ("image/layer-unreadable", Error, "a layer cannot be decompressed or read as tar");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, subject, entry, _, layer) in facts.layers() {
        let Some(err) = layer.error.as_ref().filter(|_| layer.bomb.is_none()) else { continue };
        let msg = format!("layer cannot be read: {err}");
        let f = Finding::new(&RULE, subject.clone(), msg)
            .evidence("path", &entry.path)
            .evidence("compression", layer.compression.map_or("none", |c| c.name()))
            .remedy("Rebuild or re-export the layer; check for truncated uploads or downloads.");
        facts.emit(out, at, f);
    }
}
