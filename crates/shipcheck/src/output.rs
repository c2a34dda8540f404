//! Settles a report (rule overrides, fail-on, exit status) and writes it to stdout, or atomically to a file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use shipcheck_report::render::{render, Format, HumanOptions};
use shipcheck_report::{Report, Settings};

use crate::args::OutputArgs;
use crate::config::Config;

/// Writes `path` through a temp file in the same directory, then a rename: an interrupted run
/// leaves the old file or the new one, never half of one.
pub(crate) fn write_file(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // 0666 less the umask, like any file a command writes (tempfile's default is 0600).
    let mut tmp = tempfile::Builder::new()
        .prefix(".shipcheck-report-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    fill(&mut tmp).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub(crate) fn write(report: &Report, format: Format, color: bool, path: Option<&Path>) -> Result<()> {
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
        Some(path) => write_file(path, |w| render(report, format, &human, w)),
    }
}

/// The configuration a command runs with (`--config`, else the shipcheck.toml governing the
/// current directory, else the defaults) and its settings, `--fail-on` taking precedence.
pub(crate) fn configured(out: &OutputArgs) -> Result<(Config, Settings)> {
    let config = crate::config::governing(out.config.as_deref())?;
    let settings = config.settings(out)?;
    Ok((config, settings))
}

/// Applies the config's settings (rule levels, fail-on), renders, and returns the exit status.
pub(crate) fn finish(mut report: Report, config: &Config, out: &OutputArgs) -> Result<u8> {
    let settings = config.settings(out)?;
    settings.apply(&mut report.findings);
    crate::suppress::apply(&mut report, &settings);
    crate::baseline::settle(&mut report, out)?;
    let code = report.exit_code(settings.fail_on) as u8;
    emit(report, out)?;
    Ok(code)
}

/// The subcommand being run (`workflows`, `image`, …), set once by `main`: the report's
/// `command` (SARIF `automationDetails.id`, the Markdown and JUnit titles).
pub(crate) static COMMAND: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sorts and writes the report in the chosen format.
pub(crate) fn emit(mut report: Report, out: &OutputArgs) -> Result<()> {
    report.sort();
    if report.command.is_none() {
        report.command = COMMAND.get().cloned();
    }
    write(&report, out.format, out.color_for(out.output.is_none()), out.output.as_deref())
}
