//! `shipcheck diagnose`: the root cause of failed CI jobs, from their logs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use shipcheck_report::{InputError, Report, Settings};

/// Diagnoses each log (a directory's files in name order) and adds the findings.
pub(crate) fn diagnose_into(
    report: &mut Report,
    logs: &[String],
    rules: &[PathBuf],
    _settings: &Settings,
) -> Result<()> {
    use shipcheck_triage::{input, kb::Kb};
    let mut extra = Vec::new();
    for r in rules {
        let text = std::fs::read_to_string(r).with_context(|| format!("cannot read rules file {}", r.display()))?;
        extra.push((r.display().to_string(), text));
    }
    let kb = Kb::load(&extra).map_err(anyhow::Error::msg)?;
    for log in logs {
        let files = if log == "-" {
            vec!["-".to_string()]
        } else {
            match input::expand(Path::new(log)) {
                Ok(f) => f.into_iter().map(|p| p.display().to_string()).collect(),
                Err(message) => {
                    report.errors.push(InputError { input: log.clone(), message });
                    continue;
                }
            }
        };
        for file in files {
            match input::diagnose_path(&kb, &file) {
                Ok((checked, findings)) => {
                    report.checked.push(checked);
                    report.findings.extend(findings);
                }
                Err(message) => report.errors.push(InputError { input: file, message }),
            }
        }
    }
    Ok(())
}
