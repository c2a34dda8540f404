//! `shipcheck diagnose`: the root cause of failed CI jobs, from their logs.

use std::path::PathBuf;

use anyhow::Result;
use shipcheck_report::{Domain, Report, Settings};
use shipcheck_triage::check::Input;
use shipcheck_triage::Logs;

/// Diagnoses each log (a directory's files in name order) with the rules `settings` enables and
/// adds the findings.
pub(crate) fn diagnose_into(
    report: &mut Report,
    logs: &[String],
    rules: &[PathBuf],
    settings: &Settings,
) -> Result<()> {
    let input = Input { logs: logs.to_vec(), rules: rules.to_vec() };
    Logs::check(&input, settings, report)?;
    Ok(())
}
