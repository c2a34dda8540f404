//! `shipcheck package`: the packit configuration, the spec it names, and the repository's tags
//! and history, all read and checked by `shipcheck-package`; this is the glue to the report.

use std::path::Path;

use anyhow::Result;
use shipcheck_report::{Report, Settings};

/// Checks the packit configuration in `dir`, and the spec file it names.
pub(crate) fn package_into(
    report: &mut Report,
    dir: &Path,
    tag: Option<&str>,
    existing: Option<&Path>,
    settings: &Settings,
) -> Result<()> {
    let now = jiff::Zoned::now();
    let options = shipcheck_package::check::Options {
        tag: tag.map(String::from),
        existing: existing.map(Path::to_path_buf),
        today: (i32::from(now.year()), now.month() as u32, now.day() as u32),
    };
    let outcome = shipcheck_package::check::check_enabled(dir, &options, &|id| settings.enabled(id))?;
    report.checked.extend(outcome.checked);
    report.findings.extend(outcome.findings);
    report.errors.extend(outcome.errors);
    report.looked.extend(outcome.looked);
    Ok(())
}
