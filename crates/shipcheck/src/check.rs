//! `shipcheck check`: every check that each directory's shipcheck.toml configures, each judged by its own settings.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shipcheck_image::VerifyOptions;
use shipcheck_report::{Report, Settings};

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
    // The findings that fail their own directory's fail-on, by identity, so that a baseline
    // applied to the whole run afterwards still judges each by its own directory.
    let mut failing = std::collections::HashSet::new();
    for dir in &args.dirs {
        // Each directory's findings are judged by its own shipcheck.toml only: its [rules] and
        // fail-on never touch another directory's findings.
        let (mut part, settings) = check_dir(dir, &args)?;
        settings.apply(&mut part.findings);
        crate::suppress::apply(&mut part, &settings);
        for f in part.findings.iter().filter(|f| f.severity >= settings.fail_on) {
            failing.insert((f.rule.id, f.subject.clone(), f.message.clone()));
        }
        report.checked.append(&mut part.checked);
        report.findings.append(&mut part.findings);
        report.errors.append(&mut part.errors);
        report.looked.append(&mut part.looked);
    }
    crate::baseline::settle(&mut report, &args.output)?;
    let failed = report.findings.iter().any(|f| failing.contains(&(f.rule.id, f.subject.clone(), f.message.clone())));
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

/// Runs every check that the shipcheck.toml governing `dir` (or `--config`) configures, from
/// that file's directory; with no shipcheck.toml, every repository check `dir` has inputs for (workflows,
/// Dockerfiles, packit) with the default settings. Returns what they found (before the
/// settings are applied) and those settings.
fn check_dir(dir: &Path, args: &CheckArgs) -> Result<(Report, Settings)> {
    let mut part = Report::new();
    // A shipcheck.toml given as the argument is that directory's configuration.
    let named = dir.is_file() && dir.file_name().is_some_and(|n| n == config::FILE_NAME);
    if !dir.is_dir() && !named {
        bail!(
            "{} is not a directory: expected a repository, a directory with a shipcheck.toml, or a shipcheck.toml",
            dir.display()
        );
    }
    let found = if named { Some(dir.to_path_buf()) } else { config::find(dir) };
    let Some(path) = args.output.config.clone().or(found) else {
        let settings = Config::default().settings(&args.output)?;
        zero_config(&mut part, dir, &settings)?;
        return Ok((part, settings));
    };
    let dir = path.parent().unwrap_or(dir);
    let config = Config::load(&path)?;
    // This directory's own settings: its rules that are off are not run, and its levels and
    // fail-on judge its findings only.
    let settings = config.settings(&args.output).with_context(|| format!("in {}", path.display()))?;
    // Every path the config names must stay inside the repository it belongs to.
    let root = shipcheck_core::paths::Root::new(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let at = Place { path: &path, root: &root, settings: &settings };
    images(&mut part, &config, &at)?;
    if let Some(rt) = &config.runtime {
        runtime(&mut part, rt, &at, args.allow_config_exec)?;
    }
    if let Some(d) = &config.diagnose {
        let logs: Vec<String> = d
            .logs
            .iter()
            .map(|l| at.inside("[diagnose] logs", l).map(|p| p.display().to_string()))
            .collect::<Result<_>>()?;
        let rules: Vec<PathBuf> = d.rules.iter().map(|r| at.inside("[diagnose] rules", r)).collect::<Result<_>>()?;
        diagnose_into(&mut part, &logs, &rules, &settings).with_context(|| format!("in {}", path.display()))?;
    }
    if let Some(p) = &config.package {
        let existing = p.existing.as_deref().map(|e| at.inside("[package] existing", e)).transpose()?;
        let pdir = p.dir.as_deref().map(|d| at.inside("[package] dir", d)).transpose()?;
        package_into(&mut part, pdir.as_deref().unwrap_or(dir), p.tag.as_deref(), existing.as_deref(), &settings)?;
    }
    if let Some(w) = &config.workflows {
        let wdir = w.dir.as_deref().map(|d| at.inside("[workflows] dir", d)).transpose()?;
        workflows_into(&mut part, wdir.as_deref().unwrap_or(dir), &settings)?;
    }
    if let Some(d) = &config.dockerfile {
        let repo = d.repo.as_deref().map(|r| at.inside("[dockerfile] repo", r)).transpose()?;
        let files: Vec<PathBuf> = d.files.iter().map(|f| at.inside("[dockerfile] files", f)).collect::<Result<_>>()?;
        dockerfiles_into(&mut part, repo.as_deref().unwrap_or(dir), &files, &d.platforms, d.online, &settings)
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
    Ok((part, settings))
}

/// A repository without shipcheck.toml: the checks that need no configuration, each saying
/// where it looked when the repository has nothing of its kind (so a repository with none of
/// them exits 3). Images are checked only when a config names them.
fn zero_config(part: &mut Report, dir: &Path, settings: &Settings) -> Result<()> {
    workflows_into(part, dir, settings)?;
    dockerfiles_into(part, dir, &[], &[], false, settings)?;
    package_into(part, dir, None, None, settings)
}

/// One configured directory: its shipcheck.toml, the root its paths must stay in, and its
/// settings.
struct Place<'a> {
    path: &'a Path,
    root: &'a shipcheck_core::paths::Root,
    settings: &'a Settings,
}

impl Place<'_> {
    /// A path named by `key` in the config, resolved inside the repository.
    fn inside(&self, key: &str, p: &str) -> Result<PathBuf> {
        config::inside(self.root, key, p)
    }

    fn context(&self) -> String {
        format!("in {}", self.path.display())
    }
}

/// Every `[[image]]` entry, each with its own platforms (or the config's default ones).
fn images(part: &mut Report, config: &Config, at: &Place) -> Result<()> {
    let defaults = parse_platforms(&config.platforms).with_context(|| at.context())?;
    for entry in &config.image {
        let platforms = match &entry.platforms {
            Some(p) => parse_platforms(p).with_context(|| at.context())?,
            None => defaults.clone(),
        };
        let limits = config.limits.clone().unwrap_or_default().read_limits();
        let opts = VerifyOptions { fast: entry.fast, platforms, limits, ..VerifyOptions::default() };
        let engines = match &entry.engines {
            Some(list) => {
                shipcheck_image::engine::select(list).map_err(anyhow::Error::msg).with_context(|| at.context())?
            }
            None => Vec::new(),
        };
        verify_into(part, &config::rebase_source(&entry.source, at.root)?, &opts, &engines, at.settings);
    }
    Ok(())
}

/// `[runtime]`: probes the runtimes it names (a path only with `--allow-config-exec`), or replays
/// a recording inside the repository.
fn runtime(part: &mut Report, rt: &config::RuntimeEntry, at: &Place, allow_exec: bool) -> Result<()> {
    refuse_config_exec(&rt.names, at.path, allow_exec)?;
    let recording = rt.from_recording.as_deref().map(|r| at.inside("[runtime] from-recording", r)).transpose()?;
    let probe = RuntimeProbe {
        names: rt.names.clone(),
        callers: rt.callers.clone(),
        record: None,
        from_recording: recording,
        timeout: std::time::Duration::from_millis(rt.timeout_ms.unwrap_or(2000)),
    };
    runtime_into(part, &probe, at.settings).with_context(|| at.context())
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
