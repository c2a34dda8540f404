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

/// Directories never searched for Dockerfiles: version control and Cargo's build output.
const SKIP_DIRS: &[&str] = &[".git", "target", ".venv"];
/// Path segments of test fixtures and vendored trees: their Dockerfiles are not the
/// repository's release Dockerfiles (buildah keeps hundreds of deliberately broken ones under
/// `tests/`), so a search skips them unless asked to include them.
pub const TEST_AND_VENDOR_DIRS: &[&str] =
    &["test", "tests", "testdata", "testfiles", "fixtures", "vendor", "third_party", "node_modules"];
/// Entries looked at while searching, at most: a repository bigger than this is cut short.
const MAX_ENTRIES: usize = 200_000;
/// Extensions after `Dockerfile.` that make the file a source, document or template rather
/// than a Dockerfile (`dockerfile.go`, `Dockerfile.md`, `Dockerfile.j2`): BuildKit could not
/// build any of them as they are.
const NOT_DOCKERFILE_EXTENSIONS: &[&str] = &[
    // Programming languages and scripts.
    "go",
    "rs",
    "py",
    "pyi",
    "rb",
    "js",
    "mjs",
    "cjs",
    "ts",
    "tsx",
    "jsx",
    "java",
    "kt",
    "kts",
    "scala",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "swift",
    "php",
    "pl",
    "lua",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "bat",
    "cmd",
    // Documents and data.
    "md",
    "markdown",
    "rst",
    "adoc",
    "txt",
    "html",
    "htm",
    "json",
    "yaml",
    "yml",
    "toml",
    "xml",
    "csv",
    "lock",
    // Templates, patches and editor leftovers.
    "in",
    "j2",
    "jinja",
    "jinja2",
    "tmpl",
    "tpl",
    "template",
    "erb",
    "mustache",
    "hbs",
    "m4",
    "patch",
    "diff",
    "orig",
    "rej",
    "bak",
    "swp",
    "dockerignore",
    "containerignore",
];

/// Whether a file name is a Dockerfile or Containerfile by the names BuildKit, Docker and
/// Podman users give them: `Dockerfile`, `Containerfile`, `Dockerfile.<variant>`,
/// `<variant>.Dockerfile` (any case), but not `dockerfile.go` or `Dockerfile.md`.
pub fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") || lower.ends_with(".containerignore") {
        return false;
    }
    if ["dockerfile", "containerfile"].contains(&lower.as_str())
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
    {
        return true;
    }
    let variant = lower.strip_prefix("dockerfile.").or_else(|| lower.strip_prefix("containerfile."));
    variant.is_some_and(|v| {
        let extension = v.rsplit('.').next().unwrap_or(v);
        !v.is_empty() && !NOT_DOCKERFILE_EXTENSIONS.contains(&extension)
    })
}

/// Whether a repository-relative path lies in a test fixture or vendored tree.
pub fn in_test_or_vendor_dir(rel: &str) -> bool {
    let mut dirs: Vec<&str> = rel.split('/').collect();
    dirs.pop();
    dirs.iter().any(|d| TEST_AND_VENDOR_DIRS.contains(&d.to_ascii_lowercase().as_str()))
}

/// What a search for Dockerfiles found under a directory (paths relative to it, sorted).
#[derive(Debug, Default, PartialEq)]
pub struct Found {
    pub files: Vec<String>,
    /// Dockerfiles under test fixture and vendored directories, left out.
    pub skipped: Vec<String>,
}

/// Every Dockerfile and Containerfile under `root` (relative paths, sorted), outside test
/// fixtures and vendored trees. Symbolic links are listed by their own name (the checker
/// resolves them).
pub fn find_dockerfiles(root: &Path) -> Vec<String> {
    search_dockerfiles(root, false).files
}

/// Every Dockerfile and Containerfile under `root`; those under [`TEST_AND_VENDOR_DIRS`]
/// (below `root`) are in `skipped` unless `include_tests`. Directory links are not followed.
pub fn search_dockerfiles(root: &Path, include_tests: bool) -> Found {
    let mut found = Found::default();
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
            } else if (kind.is_file() || kind.is_symlink()) && is_dockerfile(&name) {
                if include_tests || !in_test_or_vendor_dir(&child) {
                    found.files.push(child);
                } else {
                    found.skipped.push(child);
                }
            }
        }
    }
    found.files.sort();
    found.skipped.sort();
    found
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

/// The Dockerfiles the workflows' builds name (repository-relative, as written, deduplicated):
/// a build may name a file whose name is no Dockerfile convention (`docker/app.df`), or one
/// under a test directory, and it is still a Dockerfile the repository builds.
pub fn built_dockerfiles(analysis: &workflow::Analysis) -> Vec<String> {
    let mut names: Vec<String> = analysis.builds.iter().filter_map(|b| b.dockerfile()).collect();
    names.sort();
    names.dedup();
    names
}

/// Compose files Docker Compose reads by default, at the repository root.
const COMPOSE_FILES: &[&str] = &["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// The Dockerfiles the repository's default compose files build (`build: DIR`, or `build:`
/// with `context` and `dockerfile`, relative to the context), repository-relative. Values with
/// variables or remote contexts are left out: they are not files of the repository.
pub fn compose_dockerfiles(repo: &repo::Repo) -> Vec<String> {
    let mut out = Vec::new();
    for name in COMPOSE_FILES {
        let Some(file) = repo.yaml(name) else { continue };
        let Ok(Some(doc)) = &file.doc else { continue };
        let Some(services) = doc.get("services") else { continue };
        for (_, service) in services.entries() {
            let Some(build) = service.get("build") else { continue };
            let (context, dockerfile) = match build.str() {
                Some(context) => (context, "Dockerfile"),
                None => (
                    build.get("context").and_then(|c| c.str()).unwrap_or("."),
                    build.get("dockerfile").and_then(|d| d.str()).unwrap_or("Dockerfile"),
                ),
            };
            if [context, dockerfile].iter().any(|s| s.contains('$') || s.contains("://")) {
                continue;
            }
            if let Some(rel) = repo::Repo::clean(&format!("{context}/{dockerfile}")) {
                out.push(rel);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names_as_builders_use_them() {
        for name in
            ["Dockerfile", "dockerfile", "Containerfile", "Dockerfile.alpine", "app.Dockerfile", "x.containerfile"]
        {
            assert!(is_dockerfile(name), "{name}");
        }
        for name in ["dockerfile.go", "Dockerfile.md", "dockerfile_test.go", "Dockerfile.j2", "Dockerfile.dockerignore"]
        {
            assert!(!is_dockerfile(name), "{name}");
        }
        assert!(in_test_or_vendor_dir("tests/bud/x/Dockerfile"));
        assert!(in_test_or_vendor_dir("pkg/e2e/Fixtures/Dockerfile"));
        assert!(!in_test_or_vendor_dir("tests"));
        assert!(!in_test_or_vendor_dir("build/latest/Dockerfile"));
    }

    #[test]
    fn search_skips_tests_unless_asked_and_lists_links() {
        let dir = tempfile::tempdir().unwrap();
        for rel in
            ["Dockerfile.real", "build/Dockerfile", "tests/bud/Dockerfile", "vendor/x/Dockerfile", "cmd/dockerfile.go"]
        {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "FROM alpine\n").unwrap();
        }
        std::os::unix::fs::symlink("Dockerfile.real", dir.path().join("Dockerfile")).unwrap();
        let found = search_dockerfiles(dir.path(), false);
        assert_eq!(found.files, ["Dockerfile", "Dockerfile.real", "build/Dockerfile"]);
        assert_eq!(found.skipped, ["tests/bud/Dockerfile", "vendor/x/Dockerfile"]);
        let all = search_dockerfiles(dir.path(), true);
        assert_eq!(all.files.len(), 5);
        assert!(all.skipped.is_empty());
    }
}
