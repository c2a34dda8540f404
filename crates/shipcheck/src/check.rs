//! `shipcheck check`: every check that each directory's shipcheck.toml configures, each judged by its own settings.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shipcheck_image::VerifyOptions;
use shipcheck_report::Report;

use crate::args::*;
use crate::config::{self, Config};

use crate::diagnose::diagnose_into;
use crate::image::{parse_platforms, verify_into};
use crate::output::emit;
use crate::package::package_into;
use crate::repo::{dockerfiles_into, workflows_into};
use crate::runtime::{runtime_into, RuntimeProbe};

pub(crate) fn check(args: CheckArgs) -> Result<u8> {
    let mut report = Report::new();
    let mut failed = false;
    for dir in &args.dirs {
        // Each directory's findings are judged by its own shipcheck.toml only: its [rules] and
        // fail-on never touch another directory's findings.
        let mut part = Report::new();
        let path = dir.join(config::FILE_NAME);
        if !path.is_file() {
            bail!(
                "{} has no {}: expected a directory with a shipcheck.toml (see docs/config.md)",
                dir.display(),
                config::FILE_NAME
            );
        }
        let config = Config::load(&path)?;
        // This directory's own settings: its rules that are off are not run, and its levels
        // and fail-on judge its findings only.
        let settings =
            config.settings(args.output.fail_on.map(Into::into)).with_context(|| format!("in {}", path.display()))?;
        // Every path the config names must stay inside the repository it belongs to.
        let root = shipcheck_core::paths::Root::new(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        let inside = |key: &str, p: &str| config::inside(&root, key, p);
        let defaults = parse_platforms(&config.platforms).with_context(|| format!("in {}", path.display()))?;
        for entry in &config.image {
            let platforms = match &entry.platforms {
                Some(p) => parse_platforms(p).with_context(|| format!("in {}", path.display()))?,
                None => defaults.clone(),
            };
            let opts = VerifyOptions { fast: entry.fast, platforms, ..VerifyOptions::default() };
            let engines = match &entry.engines {
                Some(list) => shipcheck_image::engine::select(list)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("in {}", path.display()))?,
                None => Vec::new(),
            };
            verify_into(&mut part, &config::rebase_source(&entry.source, &root)?, &opts, &engines, &settings);
        }
        if let Some(rt) = &config.runtime {
            refuse_config_exec(&rt.names, &path, args.allow_config_exec)?;
            let recording = rt.from_recording.as_deref().map(|r| inside("[runtime] from-recording", r)).transpose()?;
            let probe = RuntimeProbe {
                names: rt.names.clone(),
                callers: rt.callers.clone(),
                record: None,
                from_recording: recording,
                timeout: std::time::Duration::from_millis(rt.timeout_ms.unwrap_or(2000)),
            };
            runtime_into(&mut part, &probe, &settings).with_context(|| format!("in {}", path.display()))?;
        }
        if let Some(d) = &config.diagnose {
            let logs: Vec<String> = d
                .logs
                .iter()
                .map(|l| inside("[diagnose] logs", l).map(|p| p.display().to_string()))
                .collect::<Result<_>>()?;
            let rules: Vec<PathBuf> = d.rules.iter().map(|r| inside("[diagnose] rules", r)).collect::<Result<_>>()?;
            diagnose_into(&mut part, &logs, &rules, &settings).with_context(|| format!("in {}", path.display()))?;
        }
        if let Some(p) = &config.package {
            let existing = p.existing.as_deref().map(|e| inside("[package] existing", e)).transpose()?;
            let pdir = p.dir.as_deref().map(|d| inside("[package] dir", d)).transpose()?;
            package_into(&mut part, pdir.as_ref().unwrap_or(dir), p.tag.as_deref(), existing.as_deref(), &settings)?;
        }
        if let Some(w) = &config.workflows {
            let wdir = w.dir.as_deref().map(|d| inside("[workflows] dir", d)).transpose()?;
            workflows_into(&mut part, wdir.as_ref().unwrap_or(dir), &settings)?;
        }
        if let Some(d) = &config.dockerfile {
            let repo = d.repo.as_deref().map(|r| inside("[dockerfile] repo", r)).transpose()?;
            let files: Vec<PathBuf> = d.files.iter().map(|f| inside("[dockerfile] files", f)).collect::<Result<_>>()?;
            dockerfiles_into(&mut part, repo.as_ref().unwrap_or(dir), &files, &d.platforms, d.online, &settings)
                .with_context(|| format!("in {}", path.display()))?;
        }
        let sections = [
            config.runtime.is_some(),
            config.diagnose.is_some(),
            config.package.is_some(),
            config.workflows.is_some(),
            config.dockerfile.is_some(),
        ];
        if config.image.is_empty() && !sections.contains(&true) {
            part.looked.push(format!("{} (it configures no check)", path.display()));
        }
        settings.apply(&mut part.findings);
        failed |= settings.fails(&part.findings);
        report.checked.append(&mut part.checked);
        report.findings.append(&mut part.findings);
        report.errors.append(&mut part.errors);
        report.looked.append(&mut part.looked);
    }
    // 3 only when no directory had anything to check at all.
    let code = if !report.errors.is_empty() {
        2
    } else if failed {
        1
    } else if report.nothing_to_check() {
        3
    } else {
        0
    };
    emit(report, &args.output)?;
    Ok(code)
}

/// A runtime named by a path in a repository's shipcheck.toml would run whatever the repository
/// (or a pull request to it) put there, so it runs only when the user asked for that. Plain names
/// are still looked up on PATH, which the user controls.
pub(crate) fn refuse_config_exec(names: &[String], config: &Path, allowed: bool) -> Result<()> {
    match names.iter().find(|n| n.contains('/')) {
        Some(name) if !allowed => bail!(
            "{}: [runtime] names `{name}`, a path: shipcheck executes a runtime named by a path in a \
             config only with --allow-config-exec (plain names are looked up on PATH)",
            config.display()
        ),
        _ => Ok(()),
    }
}
