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

/// Default ratio of decompressed to compressed bytes past which a layer is reported as a
/// decompression bomb and reading stops (and, by default, past which an archive wrapped whole
/// in a compressor is refused as an input error). Real layers rarely pass 20:1; deflate tops out
/// near 1032:1, so a gzip bomb trips this while a layer of text never does. Users set it with
/// `--max-expansion-ratio` or `[limits] max-expansion-ratio` ([`ReadLimits::max_expansion_ratio`]).
pub const MAX_EXPANSION_RATIO: u64 = 200;

/// At the default ratio a layer may always expand to this much, whatever its compressed size:
/// a small layer of zeros is no threat. The floor scales with the ratio (see
/// [`expansion_allowance`]), so the one setting moves both.
pub const MIN_EXPANSION_ALLOWANCE: u64 = 1 << 30;

/// Limits on reading an image archive that a user may need to raise for a genuine archive
/// (the binary sets them from flags and shipcheck.toml; see docs/ARCHITECTURE.md, "Limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Members in one archive or layout; more is an input error.
    pub max_members: usize,
    /// Decompressed bytes of an archive wrapped whole in gzip, zstd or xz. `None`: the
    /// expansion allowance of its compressed size. More is an input error; reading stops there.
    pub max_unpacked_bytes: Option<u64>,
    /// How many times its compressed size a layer may expand to before it is called a
    /// decompression bomb ([`expansion_allowance`]); raise it for an honest layer of sparse or
    /// zero-filled files (a disk image), lower it to be stricter.
    pub max_expansion_ratio: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_members: MAX_ARCHIVE_ENTRIES,
            max_unpacked_bytes: None,
            max_expansion_ratio: MAX_EXPANSION_RATIO,
        }
    }
}

impl ReadLimits {
    /// The decompressed bytes allowed for an archive of `compressed` bytes.
    pub fn unpacked_allowance(&self, compressed: u64) -> u64 {
        self.max_unpacked_bytes.unwrap_or_else(|| expansion_allowance(compressed, self.max_expansion_ratio))
    }
}

/// Decompressed bytes allowed for `compressed` bytes of a layer or a wrapped archive at `ratio`:
/// `ratio` × `compressed`, and never less than the floor, which is [`MIN_EXPANSION_ALLOWANCE`]
/// scaled by `ratio` / [`MAX_EXPANSION_RATIO`] (1 GiB at the default 200, 50 MiB at 10, 10 GiB
/// at 2000). A ratio of 0 means no limit.
pub fn expansion_allowance(compressed: u64, ratio: u64) -> u64 {
    if ratio == 0 {
        return u64::MAX;
    }
    let floor = (u128::from(MIN_EXPANSION_ALLOWANCE) * u128::from(ratio) / u128::from(MAX_EXPANSION_RATIO))
        .min(u128::from(u64::MAX)) as u64;
    compressed.saturating_mul(ratio).max(floor)
}

/// Read buffer for streaming blobs.
pub const CHUNK: usize = 256 << 10;
