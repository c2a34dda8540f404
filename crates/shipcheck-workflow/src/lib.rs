//! GitHub Actions workflows and Dockerfiles: platform drift between pull-request and release
//! builds, and the Dockerfile mistakes that break non-amd64 images.

pub mod bake;
pub mod checks;
pub mod compose;
pub mod dockerfile;
pub mod dockerfile_check;
pub mod domain;
pub mod expr;
pub mod facts;
pub mod fuzzing;
pub mod makefile;
pub mod platform;
pub mod repo;
pub mod rules;
pub mod shell;
pub mod workflow;
/// The positioned YAML tree, shared with the other domains (it lives in shipcheck-core).
pub use shipcheck_core::yaml;

pub use domain::{BaseImages, DockerfileError, DockerfileInput, Dockerfiles, LookupError, Workflows};

use std::path::Path;

use shipcheck_report::Finding;

/// Checks every workflow under `root/.github/workflows`. Also returns the analysis, which
/// tells the Dockerfile checks which platforms each Dockerfile is built for.
pub fn check_workflows(root: &Path) -> (workflow::Analysis, Vec<Finding>, Vec<(String, String)>) {
    let repo = repo::Repo::new(root);
    let analysis = workflow::analyze(&repo);
    let findings = checks::check(&analysis);
    let unreadable = repo.unreadable.borrow().clone();
    (analysis, findings, unreadable)
}

/// Directories never searched for Dockerfiles: dependencies and build output.
const SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", "vendor", ".venv", "third_party", "dist", "build"];
/// Entries looked at while searching, at most: a repository bigger than this is cut short.
const MAX_ENTRIES: usize = 200_000;

/// Whether a file name is a Dockerfile or Containerfile by the usual conventions.
pub fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

/// Every Dockerfile and Containerfile under `root` (relative paths, sorted), not following links.
pub fn find_dockerfiles(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    let mut seen = 0;
    while let Some((dir, rel, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                break;
            }
            let Some(name) = e.file_name().to_str().map(String::from) else { continue };
            let Ok(kind) = e.file_type() else { continue };
            let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if kind.is_dir() && depth < 12 && !SKIP_DIRS.contains(&name.as_str()) {
                stack.push((e.path(), child, depth + 1));
            } else if kind.is_file() && is_dockerfile(&name) && !name.ends_with(".dockerignore") {
                out.push(child);
            }
        }
    }
    out.sort();
    out
}

/// What the workflows build each Dockerfile for, by its path relative to the repository root
/// (lower-cased, as file systems on developer laptops often are case-insensitive).
pub fn build_contexts(analysis: &workflow::Analysis) -> std::collections::BTreeMap<String, dockerfile_check::Context> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut acc: BTreeMap<String, (BTreeSet<String>, BTreeSet<&str>)> = BTreeMap::new();
    for b in &analysis.builds {
        let Some(file) = b.dockerfile() else { continue };
        let entry = acc.entry(file.to_ascii_lowercase()).or_default();
        entry.0.extend(b.known_platforms().unwrap_or_default());
        entry.1.insert(b.at.artifact.as_str());
    }
    acc.into_iter()
        .map(|(file, (platforms, sources))| {
            let ctx = dockerfile_check::Context {
                platforms: (!platforms.is_empty()).then(|| platforms.into_iter().collect()),
                source: Some(sources.into_iter().collect::<Vec<_>>().join(", ")),
            };
            (file, ctx)
        })
        .collect()
}

/// What the workflows build one Dockerfile (relative to the repository root) for.
pub fn build_context(analysis: &workflow::Analysis, rel: &str) -> dockerfile_check::Context {
    build_contexts(analysis).remove(&rel.to_ascii_lowercase()).unwrap_or_default()
}

/// Reads and checks one Dockerfile (at most 1 MiB; never a FIFO or a device): its findings, and
/// its base images with the platforms each must provide (for `--online`). The error names the
/// path and what was expected.
pub fn check_dockerfile(
    path: &Path,
    artifact: &str,
    ctx: &dockerfile_check::Context,
) -> Result<(Vec<Finding>, Vec<dockerfile_check::BaseImage>), DockerfileError> {
    let df = domain::read_dockerfile(path)?;
    Ok((dockerfile_check::check(&df, artifact, ctx), dockerfile_check::base_images(&df, ctx)))
}
