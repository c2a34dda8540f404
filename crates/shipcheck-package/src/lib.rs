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
pub mod git;
pub mod history;
pub mod packit;
pub mod rules;
pub mod schema;
pub mod spec;
pub mod spec_check;
pub mod targets;

use std::path::Path;

/// Reads a text file of at most `max` bytes; the error names the path and what was expected.
/// Directories, FIFOs, devices and link loops are refused by type, without blocking.
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<String, String> {
    read_shown(path, path, max, what)
}

/// [`read_capped`] of `real` (a resolved path), naming `shown` (the path as the user knows it).
fn read_shown(real: &Path, shown: &Path, max: u64, what: &str) -> Result<String, String> {
    shipcheck_core::yaml::read_text(real, max, what).map_err(|e| format!("{}: {e}", shown.display()))
}
