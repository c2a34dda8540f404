//! `shipcheck workflows` and `shipcheck dockerfile`: what the repository builds, and for which platforms.

use std::path::{Path, PathBuf};

use anyhow::Result;
use shipcheck_report::{Domain, Report, Settings};
use shipcheck_workflow::{BaseImages, DockerfileInput, Dockerfiles, Workflows};

/// Checks the workflows of the repository at `dir`.
pub(crate) fn workflows_into(report: &mut Report, dir: &Path, settings: &Settings) -> Result<()> {
    Ok(Workflows::check(dir, settings, report)?)
}

/// Checks Dockerfiles (default: all in `repo`) against what the repository builds them for;
/// `online` looks base images up in their registries.
pub(crate) fn dockerfiles_into(
    report: &mut Report,
    repo: &Path,
    files: &[PathBuf],
    platforms: &[String],
    online: bool,
    settings: &Settings,
) -> Result<()> {
    let base_images = online.then(|| Box::new(shipcheck_registry::Client::default()) as Box<dyn BaseImages>);
    let input =
        DockerfileInput { repo: repo.to_path_buf(), files: files.to_vec(), platforms: platforms.to_vec(), base_images };
    Ok(Dockerfiles::check(&input, settings, report)?)
}
