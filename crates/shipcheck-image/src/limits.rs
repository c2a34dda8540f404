//! Caps on what untrusted input can make shipcheck hold in memory. Documented in
//! docs/ARCHITECTURE.md ("Limits"); change both together.

/// Largest JSON document (index, manifest, config, manifest.json, repositories) that is parsed.
/// Real manifests are a few KiB; the largest real configs (long histories) stay under 1 MiB.
pub const MAX_JSON_BYTES: u64 = 8 << 20;

/// Most bytes of JSON documents kept for one source, all documents together. Each document is
/// capped by [`MAX_JSON_BYTES`]; without a total, a sparse archive of many 8 MiB "documents"
/// would be held whole. Real layouts hold a few MiB of JSON (a thousand images: about 20 MiB).
pub const MAX_JSON_TOTAL_BYTES: u64 = 256 << 20;

/// Most entries in one archive or layout, by default ([`ReadLimits::max_members`]). Real image
/// archives have tens to a few thousand (an OCI layout holding a thousand images of twenty
/// layers has about 21,000). Each member costs a few hundred bytes plus its name, which is
/// capped by [`MAX_MEMBER_NAME`], so the default bounds the member table near 100 MiB.
pub const MAX_ARCHIVE_ENTRIES: usize = 100_000;

/// Longest member name kept for an image archive or layout (Linux's PATH_MAX). Longer names
/// are reported, not stored.
pub const MAX_MEMBER_NAME: usize = 4096;

/// Largest GNU long name, long link or PAX header read from a tar stream (an archive or a
/// layer). Go's `archive/tar`, which every engine uses, refuses larger ones
/// (`archive/tar: header field too long`); a larger one is an input error in an image archive
/// and `image/layer-unreadable` in a layer, and is never read into memory.
pub const MAX_TAR_HEADER_BYTES: u64 = 1 << 20;

/// Most times one manifest digest listed at the top of index.json under different names is
/// described again (one image per name); more are reported once.
pub const MAX_NAMES_PER_DIGEST: usize = 16;

/// Most paths remembered per layer for duplicate detection (8 bytes each).
pub const MAX_LAYER_PATHS: usize = 4_000_000;

/// How many links are followed to resolve one archive path before it is called a loop.
pub const MAX_LINK_DEPTH: usize = 40;

/// Deepest index-in-index nesting followed.
pub const MAX_INDEX_DEPTH: usize = 8;

/// Ratio of decompressed to compressed bytes past which a layer is reported as a
/// decompression bomb and reading stops (and, by default, past which an archive wrapped whole
/// in a compressor is refused as an input error). Real layers rarely pass 20:1; deflate tops out
/// near 1032:1, so a gzip bomb trips this while a layer of text never does.
pub const MAX_EXPANSION_RATIO: u64 = 200;

/// A layer may always expand to this much, whatever its compressed size.
pub const MIN_EXPANSION_ALLOWANCE: u64 = 1 << 30;

/// Limits on reading an image archive that a user may need to raise for a genuine archive
/// (the binary sets them from flags; see docs/ARCHITECTURE.md, "Limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Members in one archive or layout; more is an input error.
    pub max_members: usize,
    /// Decompressed bytes of an archive wrapped whole in gzip, zstd or xz. `None`: the larger of
    /// [`MAX_EXPANSION_RATIO`] × its compressed size and [`MIN_EXPANSION_ALLOWANCE`]. More is
    /// an input error; reading stops there.
    pub max_unpacked_bytes: Option<u64>,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_members: MAX_ARCHIVE_ENTRIES, max_unpacked_bytes: None }
    }
}

impl ReadLimits {
    /// The decompressed bytes allowed for an archive of `compressed` bytes.
    pub fn unpacked_allowance(&self, compressed: u64) -> u64 {
        self.max_unpacked_bytes.unwrap_or_else(|| expansion_allowance(compressed))
    }
}

/// Decompressed bytes allowed for `compressed` bytes of a layer or a wrapped archive.
pub fn expansion_allowance(compressed: u64) -> u64 {
    compressed.saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE)
}

/// Read buffer for streaming blobs.
pub const CHUNK: usize = 256 << 10;
