//! Helpers shared by this crate's integration tests.

use std::path::PathBuf;

pub(crate) mod damage;
pub(crate) mod engines;
pub(crate) mod hostile;

/// The corpus, from SHIPCHECK_CORPUS or ../shared/corpus beside the repository. Missing: skip,
/// except under CI=true, where it must be there.
pub(crate) fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.join("images/PROVENANCE.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "corpus not found at {} (set SHIPCHECK_CORPUS)",
        dir.display()
    );
    eprintln!("skipping: corpus not found at {}", dir.display());
    None
}
