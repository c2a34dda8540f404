//! `shipcheck package`: the packit configuration, the spec it names, and the repository's tags
//! and history, all read and checked by `shipcheck-package`; this is the glue to the report.

use std::path::Path;

use anyhow::Result;
use shipcheck_package::check::{Input, Options};
use shipcheck_package::Packaging;
use shipcheck_report::{Domain, Report, Settings};

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
