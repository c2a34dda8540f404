//! Settles a report (rule overrides, fail-on, exit status) and writes it to stdout, or atomically to a file.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use shipcheck_report::render::{render, Format, HumanOptions};
use shipcheck_report::{Report, Severity};

use crate::args::{FormatArg, OutputArgs};
use crate::config::Config;
use crate::explain::all_rules;

pub fn write(report: &Report, format: Format, color: bool, path: Option<&Path>) -> Result<()> {
    let human = HumanOptions { color };
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            match render(report, format, &human, &mut lock).and_then(|()| lock.flush()) {
                // `shipcheck … | head` closing the pipe early is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to stdout"),
            }
        }
        Some(path) => {
            // Temp file in the same directory, then rename: an interrupted run leaves the old
            // file or the new one, never half of one.
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            // 0666 less the umask, like any file a command writes (tempfile's default is 0600).
            let mut tmp = tempfile::Builder::new()
                .prefix(".shipcheck-report-")
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
                .tempfile_in(dir)
                .with_context(|| format!("cannot create a file in {}", dir.display()))?;
            render(report, format, &human, &mut tmp).with_context(|| format!("cannot write {}", path.display()))?;
            tmp.as_file().sync_all().ok();
            tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(())
        }
    }
}

/// Applies `[rules]` from shipcheck.toml: a severity, or `off` to drop the rule's findings.
pub(crate) fn apply_rule_overrides(report: &mut Report, config: &Config) -> Result<()> {
    let known = all_rules();
    for (id, level) in &config.rules {
        if !known.iter().any(|r| r.id == id) {
            bail!("[rules] names unknown rule `{id}`: run `shipcheck explain` for the list");
        }
        if level == "off" {
            report.findings.retain(|f| f.rule.id != id);
            continue;
        }
        let severity: Severity = level.parse().map_err(|e: String| anyhow::anyhow!("[rules] `{id}`: {e}, or off"))?;
        for f in report.findings.iter_mut().filter(|f| f.rule.id == id) {
            f.severity = severity;
        }
    }
    Ok(())
}

/// Applies the config's rule overrides, renders, and returns the exit status for its fail-on.
pub(crate) fn finish(mut report: Report, config: &Config, out: &OutputArgs) -> Result<u8> {
    apply_rule_overrides(&mut report, config)?;
    let fail_on = fail_on(out, config)?;
    let code = report.exit_code(fail_on) as u8;
    emit(report, out)?;
    Ok(code)
}

/// The lowest failing severity: the flag, else the config's `fail-on`, else error.
pub(crate) fn fail_on(out: &OutputArgs, config: &Config) -> Result<Severity> {
    Ok(match (out.fail_on, &config.fail_on) {
        (Some(s), _) => s.into(),
        (None, Some(s)) => s.parse().map_err(|e: String| anyhow::anyhow!("fail-on in shipcheck.toml: {e}"))?,
        (None, None) => Severity::Error,
    })
}

/// Sorts and writes the report in the chosen format.
pub(crate) fn emit(mut report: Report, out: &OutputArgs) -> Result<()> {
    report.sort();
    let format = match out.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    };
    write(&report, format, out.color_for(out.output.is_none()), out.output.as_deref())
}
