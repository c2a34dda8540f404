//! Downstream packaging preflight: what makes packit's propose-downstream and Fedora/CentOS
//! builds fail after the upstream release is out.

pub mod evr;
pub mod existing;
pub mod history;
pub mod packit;
pub mod rules;
pub mod schema;
pub mod spec;
pub mod spec_check;
pub mod targets;

use std::path::Path;

/// Reads a text file of at most `max` bytes; the error names the path and what was expected.
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > max {
        return Err(format!("{} is {} bytes: expected {what} under {} MiB", path.display(), meta.len(), max >> 20));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
