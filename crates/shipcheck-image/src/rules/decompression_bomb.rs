//! `image/decompression-bomb`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A compressed layer that expands past the decompression limit: by default more than 200
    /// times its compressed size, and more than 1 GiB (`--max-expansion-ratio`, or
    /// `max-expansion-ratio` under `[limits]` in shipcheck.toml, sets the ratio; the 1 GiB floor
    /// scales with it). shipcheck stops reading the layer there.
    ///
    /// ## Why it breaks releases
    /// Every engine unpacks the whole layer to disk on pull or load: a few megabytes on the
    /// registry become gigabytes on every node, filling disks and timing out pulls. Real layers
    /// rarely pass 20:1; a layer past 200:1 is nearly always a file of zeros or a sparse file
    /// (a disk image, a preallocated database) written into the image, or a hostile bomb.
    ///
    /// ## Fix
    /// Find the file that expands (`tar -tvzf` the layer, largest entries first) and keep it out
    /// of the image: create it at run time, mount it as a volume, or ship it sparse-aware
    /// outside the image. If the layer is honest (a sparse disk image, a model file of zeros),
    /// raise `--max-expansion-ratio` so it is read whole. If the layer is not yours, do not load
    /// it.
    ///
    /// ## Example
    /// Layer `sha256:0c1d…` (gzip, 1.3 MiB) had expanded to 1.0 GiB when reading stopped:
    /// more than 800 times its size.
    pub RULE = ("image/decompression-bomb", Error, "a layer expands far past any real layer's size");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, subject, entry, blob, layer) in facts.layers() {
        let Some(limit) = layer.bomb else { continue };
        // Reading stops at the allowance, so the ratio shown is a lower bound.
        let ratio = layer.uncompressed_size / blob.size.max(1);
        let msg = format!(
            "layer expands to more than {} ({ratio} times its {} compressed); reading stopped there",
            size(layer.uncompressed_size),
            size(blob.size)
        );
        let f = Finding::new(&RULE, subject.clone(), msg)
            .evidence("path", &entry.path)
            .evidence("compression", layer.compression.map_or("none", |c| c.name()))
            .evidence("compressed_bytes", blob.size.to_string())
            .evidence("bytes_read", layer.uncompressed_size.to_string())
            .evidence("ratio_at_least", ratio.to_string())
            .evidence("limit_bytes", limit.to_string())
            .remedy(
                "Find the file that expands (list the layer, largest entries first) and keep it out of the \
                 image: create it at run time or mount it. If the layer is honest (a sparse disk image, a \
                 large file of zeros), raise --max-expansion-ratio (or [limits] max-expansion-ratio in \
                 shipcheck.toml) so it is read whole. If the layer is not yours, do not load it.",
            );
        facts.emit(out, at, f);
    }
}

/// Bytes in the binary unit a reader takes in at a glance: `34.2 KiB`, `1.1 MiB`, `1.0 GiB`.
fn size(bytes: u64) -> String {
    let (unit, shift) = match bytes {
        b if b >= 1 << 30 => ("GiB", 30),
        b if b >= 1 << 20 => ("MiB", 20),
        _ => ("KiB", 10),
    };
    format!("{:.1} {unit}", bytes as f64 / (1u64 << shift) as f64)
}
