//! `shipcheck package`: the packit configuration, the spec it names, and the repository's tags
//! and history, all read and checked by `shipcheck-package`; this is the glue to the report.

use std::path::Path;

use anyhow::Result;
use shipcheck_package::check::{Input, Options};
use shipcheck_package::Packaging;
use shipcheck_report::{Domain, Report, Settings};

/// The repository `shipcheck package PATH` checks: PATH, or the directory of PATH when it is a
/// packit configuration file (packit reads it only under one of these names, at the root).
pub(crate) fn package_dir(path: &Path) -> Result<std::path::PathBuf> {
    if !path.is_file() {
        return Ok(path.to_path_buf());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if ![".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"].contains(&name) {
        anyhow::bail!(
            "{} is not a packit configuration: expected a repository directory or its .packit.yaml, .packit.yml, packit.yaml or packit.yml",
            path.display()
        );
    }
    Ok(match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    })
}

/// Checks the packit configuration in `dir`, and the spec file it names.
pub(crate) fn package_into(
    report: &mut Report,
    dir: &Path,
    tag: Option<&str>,
    existing: Option<&Path>,
    settings: &Settings,
) -> Result<()> {
    // The clock is the binary's: the library judges changelog dates by the day it is given.
    let now = jiff::Zoned::now();
    let options = Options {
        tag: tag.map(String::from),
        existing: existing.map(Path::to_path_buf),
        today: (i32::from(now.year()), now.month() as u32, now.day() as u32),
    };
    Packaging::check(&Input { dir: dir.to_path_buf(), options }, settings, report)?;
    Ok(())
}
