//! `shipcheck workflows` and `shipcheck dockerfile`: what the repository builds, and for which platforms.

use std::path::{Path, PathBuf};

use anyhow::Result;
use shipcheck_report::{Domain, Report, Settings};
use shipcheck_workflow::{BaseImages, DockerfileInput, Dockerfiles, Workflows};

/// Checks the workflows of the repository at `dir`.
pub(crate) fn workflows_into(report: &mut Report, dir: &Path, settings: &Settings) -> Result<()> {
    Ok(Workflows::check(dir, settings, report)?)
}

/// `shipcheck workflows PATH`: the repository at PATH, or, when PATH is a workflow file, its
/// repository evaluated whole (drift compares every workflow) with only the findings located
/// in that file kept.
pub(crate) fn workflows_of(report: &mut Report, path: &Path, settings: &Settings) -> Result<()> {
    if !path.is_file() {
        return workflows_into(report, path, settings);
    }
    let file = path.canonicalize()?;
    let repo = repository_of(Some(&path.to_path_buf()));
    let mut whole = Report::new();
    workflows_into(&mut whole, &repo, settings)?;
    let in_file = |artifact: &str| Path::new(artifact).canonicalize().is_ok_and(|a| a == file);
    if !whole.checked.iter().any(|c| in_file(&c.input)) && whole.errors.is_empty() {
        anyhow::bail!(
            "{} is not a workflow of {}: expected a file under .github/workflows",
            path.display(),
            repo.display()
        );
    }
    report.findings.extend(whole.findings.into_iter().filter(|f| in_file(&f.subject.artifact)));
    report.checked.extend(whole.checked.into_iter().filter(|c| in_file(&c.input)));
    report.errors.extend(whole.errors);
    Ok(())
}

/// Checks Dockerfiles (default: all in `repo` outside test fixtures and vendored trees)
/// against what the repository builds them for; `online` looks base images up in their
/// registries.
pub(crate) fn dockerfiles_into(
    report: &mut Report,
    repo: &Path,
    files: &[PathBuf],
    platforms: &[String],
    online: bool,
    settings: &Settings,
) -> Result<()> {
    dockerfiles_with(report, repo, files, platforms, online, false, settings)
}

/// [`dockerfiles_into`], with `include_tests` searching test fixture and vendored directories.
pub(crate) fn dockerfiles_with(
    report: &mut Report,
    repo: &Path,
    files: &[PathBuf],
    platforms: &[String],
    online: bool,
    include_tests: bool,
    settings: &Settings,
) -> Result<()> {
    let base_images = online.then(|| Box::new(shipcheck_registry::Client::default()) as Box<dyn BaseImages>);
    let input = DockerfileInput {
        repo: repo.to_path_buf(),
        files: files.to_vec(),
        platforms: platforms.to_vec(),
        base_images,
        include_tests,
    };
    Ok(Dockerfiles::check(&input, settings, report)?)
}

/// The repository a path given to `shipcheck dockerfile` belongs to: the path itself or its
/// nearest parent (as written, so that a relative path gives relative names) that holds
/// `.github/workflows` or `.git`; else the current directory.
pub(crate) fn repository_of(path: Option<&PathBuf>) -> PathBuf {
    let here = PathBuf::from(".");
    let Some(path) = path else { return here };
    let is_repo = |dir: &Path| dir.join(".github/workflows").is_dir() || dir.join(".git").exists();
    // The current directory first when the path is in it: names stay relative however the
    // path was written (`Dockerfile`, `./Dockerfile`, `/abs/repo/Dockerfile`).
    let inside_here = match (here.canonicalize(), path.canonicalize()) {
        (Ok(h), Ok(p)) => p.starts_with(h),
        _ => false,
    };
    if inside_here && is_repo(&here) {
        return here;
    }
    path.ancestors()
        .map(|a| if a.as_os_str().is_empty() { Path::new(".") } else { a })
        .find(|a| is_repo(a))
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
