//! `shipcheck workflows` and `shipcheck dockerfile`: what the repository builds, and for which platforms.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shipcheck_report::{Checked, InputError, Report, Settings};

/// Checks the workflows of the repository at `dir`.
pub(crate) fn workflows_into(
    report: &mut Report,
    dir: &Path,
    _settings: &Settings,
) -> Result<shipcheck_workflow::workflow::Analysis> {
    if !dir.is_dir() {
        bail!("{} is not a directory: expected a repository root", dir.display());
    }
    let (analysis, findings, unreadable) = shipcheck_workflow::check_workflows(dir);
    if analysis.workflows.is_empty() && unreadable.is_empty() {
        report.looked.push(format!("{} (no workflow files)", dir.join(".github/workflows").display()));
    }
    for (input, message) in unreadable {
        report.errors.push(InputError { input, message });
    }
    // Counted in one pass: a filter per workflow was quadratic, and a sixth of the run on a
    // repository of 300 workflows (perf, bench/workflows.sh).
    let mut per_workflow: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for b in &analysis.builds {
        *per_workflow.entry(b.workflow.as_str()).or_default() += 1;
    }
    for w in &analysis.workflows {
        let builds = per_workflow.get(w.artifact.as_str()).copied().unwrap_or(0);
        let facts =
            vec![("triggers".to_string(), w.events.join(", ")), ("image_builds".to_string(), builds.to_string())];
        report.checked.push(Checked::new(w.artifact.clone(), "workflow", facts));
    }
    report.findings.extend(findings);
    Ok(analysis)
}

/// Checks Dockerfiles (default: all in `repo`) against what the repository builds them for.
pub(crate) fn dockerfiles_into(
    report: &mut Report,
    repo: &Path,
    files: &[PathBuf],
    platforms: &[String],
    online: bool,
    _settings: &Settings,
) -> Result<()> {
    use shipcheck_workflow::{build_contexts, check_dockerfile, dockerfile_check::Context, platform};
    let explicit: Vec<String> = platforms
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| platform::normalize(p).with_context(|| format!("{p:?} is not a platform: expected os/arch[/variant]")))
        .collect::<Result<_>>()?;
    let contexts = if explicit.is_empty() && repo.join(".github/workflows").is_dir() {
        build_contexts(&shipcheck_workflow::workflow::analyze(&shipcheck_workflow::repo::Repo::new(repo)))
    } else {
        Default::default()
    };
    let paths: Vec<PathBuf> = if files.is_empty() {
        shipcheck_workflow::find_dockerfiles(repo).into_iter().map(|r| repo.join(r)).collect()
    } else {
        files.to_vec()
    };
    if paths.is_empty() && files.is_empty() {
        report.looked.push(format!("{} (no Dockerfile or Containerfile)", repo.display()));
    }
    for path in paths {
        let artifact = path.display().to_string();
        let ctx = if !explicit.is_empty() {
            Context { platforms: Some(explicit.clone()), source: Some("--platform".into()) }
        } else {
            let rel =
                path.strip_prefix(repo).ok().and_then(|r| r.to_str()).and_then(shipcheck_workflow::repo::Repo::clean);
            rel.and_then(|r| contexts.get(&r.to_ascii_lowercase()).cloned()).unwrap_or_default()
        };
        match check_dockerfile(&path, &artifact, &ctx) {
            Ok((findings, bases)) => {
                let mut facts =
                    ctx.platforms.map(|p| vec![("built_for".to_string(), p.join(", "))]).unwrap_or_default();
                let (missing, unchecked) = check_bases(&artifact, &bases, online);
                report.findings.extend(missing);
                if !unchecked.is_empty() {
                    facts.push(("base_images_unchecked".to_string(), unchecked.join("; ")));
                }
                report.checked.push(Checked::new(artifact, "dockerfile", facts));
                report.findings.extend(findings);
            }
            Err(message) => report.errors.push(InputError { input: artifact, message }),
        }
    }
    Ok(())
}

/// Checks base images in their registries (`online`), or lists the ones that matter as unchecked:
/// those that must provide more than linux/amd64, which nearly every base image has.
pub(crate) fn check_bases(
    artifact: &str,
    bases: &[shipcheck_workflow::dockerfile_check::BaseImage],
    online: bool,
) -> (Vec<shipcheck_report::Finding>, Vec<String>) {
    use shipcheck_workflow::dockerfile_check::missing_base_platforms;
    let mut findings = Vec::new();
    let mut unchecked = Vec::new();
    if !online {
        let relevant = bases.iter().filter(|b| b.needed.iter().any(|p| p != "linux/amd64"));
        unchecked.extend(relevant.map(|b| format!("{} (offline)", b.image)));
        return (findings, unchecked);
    }
    let client = shipcheck_registry::Client::default();
    for base in bases {
        let available = shipcheck_registry::Reference::parse(&base.image)
            .map_err(|e| e.to_string())
            .and_then(|r| client.platforms(&r).map_err(|e| e.to_string()));
        match available {
            Ok(list) => findings.extend(missing_base_platforms(artifact, base, &list)),
            Err(why) => unchecked.push(format!("{}: {why}", base.image)),
        }
    }
    (findings, unchecked)
}
