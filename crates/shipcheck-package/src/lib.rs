//! Downstream packaging preflight: what makes packit's propose-downstream and Fedora/CentOS
//! builds fail after the upstream release is out.
//!
//! Data flows one way: [`check::check`] reads the repository (the packit configuration, the
//! spec, git's tags and the spec's history, `--existing`) into [`facts::Facts`]; each rule in
//! `src/rules/<rule>.rs` reads only those facts; [`rules::ALL`] is generated from the files.

pub mod check;
pub mod evr;
pub mod existing;
pub mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod history;
pub mod packit;
pub mod rules;
pub mod schema;
pub mod spec;
pub mod spec_check;
pub mod targets;

pub use check::Packaging;

use std::path::{Path, PathBuf};

/// Why a file of the repository (the packit configuration, the spec) was not read. Both forms
/// name the path as the user knows it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Missing, not a regular file, too big or not text.
    #[error("{path}: {error}")]
    Text { path: PathBuf, error: shipcheck_core::yaml::ReadError },
    /// A link that resolves outside the repository: refused before anything is read.
    #[error("{path}: a link that leads out of the repository, expected a file inside it")]
    Outside { path: PathBuf },
}

/// Reads a text file of at most `max` bytes; the error names the path and what was expected.
/// Directories, FIFOs, devices and link loops are refused by type, without blocking.
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<String, ReadError> {
    read_shown(path, path, max, what)
}

/// [`read_capped`] of `real` (a resolved path), naming `shown` (the path as the user knows it).
fn read_shown(real: &Path, shown: &Path, max: u64, what: &str) -> Result<String, ReadError> {
    shipcheck_core::yaml::read_text(real, max, what).map_err(|error| ReadError::Text { path: shown.into(), error })
}
