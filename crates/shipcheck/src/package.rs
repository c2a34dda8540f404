//! `shipcheck package`: the packit configuration, the spec it names, and the repository's tags and history.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use shipcheck_report::{Checked, InputError, Report};

/// Checks the packit configuration in `dir`, and the spec file it names.
pub(crate) fn package_into(report: &mut Report, dir: &Path, tag: Option<&str>, existing: Option<&Path>) -> Result<()> {
    use shipcheck_package::{existing as nvrs, packit, spec_check};
    let existing = match existing {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(nvrs::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let Some(path) = packit::find(dir) else {
        report.errors.push(InputError {
            input: dir.display().to_string(),
            message: format!("{} has no .packit.yaml, .packit.yml, packit.yaml or packit.yml", dir.display()),
        });
        return Ok(());
    };
    let artifact = path.display().to_string();
    // An unreadable config is an input error; the spec file is still checked.
    let config = match packit::read(&path) {
        Ok(text) => {
            report.findings.extend(packit::check_text(&text, &artifact));
            report.checked.push(Checked::new(artifact, "packit config", Vec::new()));
            text
        }
        Err(message) => {
            report.errors.push(InputError { input: artifact, message });
            String::new()
        }
    };
    let (specfile, template) = packit::spec_and_template(&config);
    let spec = match specfile {
        // specfile_path comes from the repository: it is read only if it stays inside it.
        Some(s) => match packit::spec_path(dir, &s) {
            Ok(p) => Some(p),
            Err(message) => {
                report.errors.push(InputError { input: artifact_of_config(dir), message });
                return Ok(());
            }
        },
        None => {
            let specs: Vec<PathBuf> = std::fs::read_dir(dir)
                .map(|d| {
                    d.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "spec"))
                        .collect()
                })
                .unwrap_or_default();
            (specs.len() == 1).then(|| specs[0].clone())
        }
    };
    let Some(spec) = spec else { return Ok(()) };
    let latest = tag.map(String::from).or_else(|| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["describe", "--tags", "--abbrev=0"])
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|t| !t.is_empty())
    });
    let now = jiff::Zoned::now();
    let today = (i32::from(now.year()), now.month() as u32, now.day() as u32);
    let artifact = spec.display().to_string();
    let release = spec_check::Release { tag: latest.as_deref(), template: &template };
    let text = match spec_check::read(&spec) {
        Ok(text) => text,
        Err(message) => {
            report.errors.push(InputError { input: artifact, message });
            return Ok(());
        }
    };
    report.findings.extend(spec_check::check_text(&text, &artifact, &release, today));
    if let (Some(existing), Some((name, evr))) = (&existing, spec_check::built(&text)) {
        report.findings.extend(nvrs::check(&artifact, &name, &evr, existing));
    }
    // Against the repository's history, when DIR is the root of a git checkout (a directory
    // inside another project's checkout, like the bundled examples, has no history of its own).
    let top = git_lines(dir, &["rev-parse", "--show-toplevel"]).and_then(|l| l.first().map(PathBuf::from));
    let is_root = top.zip(dir.canonicalize().ok()).is_some_and(|(t, d)| t.canonicalize().ok() == Some(d));
    if !is_root {
        let facts = latest.map(|t| vec![("tag".to_string(), t)]).unwrap_or_default();
        report.checked.push(Checked::new(artifact, "rpm spec", facts));
        return Ok(());
    }
    let tags = git_lines(
        dir,
        &["for-each-ref", "--sort=-creatordate", "--count=10000", "--format=%(refname:short)", "refs/tags"],
    );
    if let Some(tags) = &tags {
        let settings = packit::settings(&config);
        let config_artifact = packit::find(dir).map(|p| p.display().to_string()).unwrap_or_default();
        let at = match settings.template_at {
            Some((line, column)) => shipcheck_report::Subject::position(&config_artifact, line, Some(column)),
            None => shipcheck_report::Subject::whole(&config_artifact),
        };
        let rules = shipcheck_package::history::TagRules {
            template: &template,
            include: settings.include.as_deref(),
            exclude: settings.exclude.as_deref(),
        };
        report.findings.extend(shipcheck_package::history::check_tags(tags, &rules, at));
    }
    if let (Some(parent), Some(file)) = (spec.parent(), spec.file_name().and_then(|f| f.to_str())) {
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        let commits = git_lines(parent, &["log", "-n", "50", "--format=%H", "--", file]).unwrap_or_default();
        let version_of = |t: &str| shipcheck_package::spec::parse(t).tag("version").map(String::from);
        let current = version_of(&text);
        let mut history = Vec::new();
        for c in commits {
            let Some(lines) = git_lines(parent, &["show", &format!("{c}:./{file}")]) else { break };
            let old = lines.join("\n");
            // The walk ends at the first commit with another version: nothing older matters.
            let other = version_of(&old) != current;
            history.push((c.chars().take(12).collect::<String>(), old));
            if other {
                break;
            }
        }
        report.findings.extend(shipcheck_package::history::check_release_reset(&text, &history, &artifact));
    }
    let facts = latest.map(|t| vec![("tag".to_string(), t)]).unwrap_or_default();
    report.checked.push(Checked::new(artifact, "rpm spec", facts));
    Ok(())
}

/// The packit config's path as findings name it, for errors about what it says.
pub(crate) fn artifact_of_config(dir: &Path) -> String {
    shipcheck_package::packit::find(dir).map_or_else(|| dir.display().to_string(), |p| p.display().to_string())
}

/// The output lines of a git command run in `dir`; `None` when git fails (not a checkout).
pub(crate) fn git_lines(dir: &Path, args: &[&str]) -> Option<Vec<String>> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    if !out.status.success() || out.stdout.len() > 16 << 20 {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect())
}
