//! Caps on what untrusted input can make shipcheck hold in memory. Documented in
//! docs/ARCHITECTURE.md ("Limits"); change both together.

/// Largest JSON document (index, manifest, config, manifest.json, repositories) that is parsed.
/// Real manifests are a few KiB; the largest real configs (long histories) stay under 1 MiB.
pub const MAX_JSON_BYTES: u64 = 8 << 20;

/// Most entries in one archive or layout. Real images have tens to a few thousand.
pub const MAX_ARCHIVE_ENTRIES: usize = 1_000_000;

/// Most paths remembered per layer for duplicate detection (8 bytes each).
pub const MAX_LAYER_PATHS: usize = 4_000_000;

/// How many links are followed to resolve one archive path before it is called a loop.
pub const MAX_LINK_DEPTH: usize = 40;

/// Deepest index-in-index nesting followed.
pub const MAX_INDEX_DEPTH: usize = 8;

/// Ratio of decompressed to compressed bytes past which a layer is reported as a
/// decompression bomb and reading stops. Real layers rarely pass 20:1; deflate tops out
/// near 1032:1, so a gzip bomb trips this while a layer of text never does.
pub const MAX_EXPANSION_RATIO: u64 = 200;

/// A layer may always expand to this much, whatever its compressed size.
pub const MIN_EXPANSION_ALLOWANCE: u64 = 1 << 30;

/// Read buffer for streaming blobs.
pub const CHUNK: usize = 256 << 10;
