//! `image/media-type-mismatch`.

use std::collections::HashSet;

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};
use crate::model;
use crate::scan::Compression;

declare_rule! {
    /// ## What it catches
    /// A media type that contradicts the bytes: a descriptor whose `mediaType` differs from
    /// the `mediaType` inside the blob, or a layer media type that promises one compression
    /// while the bytes use another (e.g. `+gzip` on an uncompressed tar).
    ///
    /// ## Why it breaks releases
    /// containerd and registries pick the decoder from the media type, not the bytes, so the
    /// same image that loads in Docker fails in containerd or after a push.
    ///
    /// ## Fix
    /// Write the media type that matches the content (or recompress the layer to match it).
    ///
    /// ## Example
    /// Layer media type `application/vnd.oci.image.layer.v1.tar+gzip`, content is zstd.
    pub RULE = ("image/media-type-mismatch", Warning, "a media type contradicts the content");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    // A layer shared by many images is reported once.
    let mut reported = HashSet::new();
    for (at, step) in facts.steps() {
        match step {
            Step::MediaTypes { subject, descriptor, blob } if descriptor != blob => {
                let f =
                    Finding::new(&RULE, subject.clone(), format!("descriptor says {descriptor}, the blob says {blob}"))
                        .remedy("Write the descriptor media type that the blob declares.");
                facts.emit(out, at, f);
            }
            Step::LayerContent { subject, entry, blob, media_type } => {
                if !reported.insert(entry.path.as_str()) {
                    continue;
                }
                let Some(mt) = media_type.as_deref() else { continue };
                let Some(expected) = model::layer_type_compression(mt) else { continue };
                let actual = blob.compression.unwrap_or(Compression::None);
                if blob.digest.is_none() || actual == expected || (blob.layer.is_none() && actual == Compression::None)
                {
                    continue;
                }
                let f = Finding::new(
                    &RULE,
                    subject.clone(),
                    format!("media type promises {} compression, content is {}", expected.name(), actual.name()),
                )
                .evidence("media_type", mt)
                .remedy("Use the media type that matches the layer's compression, or recompress the layer.");
                facts.emit(out, at, f);
            }
            _ => {}
        }
    }
}
