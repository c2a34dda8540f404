//! What the integration tests share.

use std::path::{Path, PathBuf};

/// The real-world corpus: `SHIPCHECK_CORPUS`, else `../shared/corpus` beside the repository.
pub(crate) fn corpus() -> PathBuf {
    std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}
