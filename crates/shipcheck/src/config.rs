//! `shipcheck.toml`: what `shipcheck check` runs, documented in docs/config.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use shipcheck_core::paths::Root;
use shipcheck_report::Settings;

use crate::args::OutputArgs;

pub(crate) const FILE_NAME: &str = "shipcheck.toml";

/// The shipcheck.toml that governs `dir`: its own, else the nearest one in a parent directory,
/// looking no higher than the repository root (the first directory holding `.git`), as ruff
/// finds its configuration. `None` when there is none.
pub(crate) fn find(dir: &Path) -> Option<PathBuf> {
    // The directory's own file keeps the path as written, so reports name files as given.
    let own = dir.join(FILE_NAME);
    if own.is_file() {
        return Some(own);
    }
    let mut at = std::fs::canonicalize(dir).ok()?;
    loop {
        let path = at.join(FILE_NAME);
        if path.is_file() {
            return Some(path);
        }
        if at.join(".git").exists() || !at.pop() {
            return None;
        }
    }
}

/// The configuration a command runs with: `--config FILE`, else the shipcheck.toml that
/// governs the current directory, else the defaults.
pub(crate) fn governing(explicit: Option<&Path>) -> Result<Config> {
    let Some(path) = explicit.map(Path::to_path_buf).or_else(|| find(Path::new("."))) else {
        return Ok(Config::default());
    };
    let config = Config::load(&path)?;
    // Its settings are checked here, so an error names the file.
    config.own_settings().with_context(|| format!("in {}", path.display()))?;
    Ok(config)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    /// Lowest severity that makes the run fail: error (default), warning or note.
    pub fail_on: Option<String>,
    /// Platforms every image must provide, unless an `[[image]]` sets its own.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Per-rule severity overrides: `"image/unreferenced-blob" = "off"`.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// Images to verify.
    #[serde(default)]
    pub image: Vec<ImageEntry>,
    /// OCI runtimes to probe.
    pub runtime: Option<RuntimeEntry>,
    /// CI logs to diagnose.
    pub diagnose: Option<DiagnoseEntry>,
    /// Downstream packaging to check.
    pub package: Option<PackageEntry>,
    /// GitHub Actions workflows to check.
    pub workflows: Option<WorkflowsEntry>,
    /// Dockerfiles to check.
    pub dockerfile: Option<DockerfileEntry>,
    /// Limits on reading image archives, for `image`, `convert` and `check`'s images
    /// (the flags of the same names override them).
    pub limits: Option<LimitsEntry>,
}

/// `[limits]`: what `--max-members`, `--max-unpacked-size` and `--max-expansion-ratio` set.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct LimitsEntry {
    pub max_members: Option<usize>,
    /// MiB.
    pub max_unpacked_size: Option<u64>,
    pub max_expansion_ratio: Option<u64>,
}

impl LimitsEntry {
    /// Each limit this sets, else `fallback`'s.
    pub(crate) fn or(self, fallback: Option<&LimitsEntry>) -> LimitsEntry {
        let fallback = fallback.cloned().unwrap_or_default();
        LimitsEntry {
            max_members: self.max_members.or(fallback.max_members),
            max_unpacked_size: self.max_unpacked_size.or(fallback.max_unpacked_size),
            max_expansion_ratio: self.max_expansion_ratio.or(fallback.max_expansion_ratio),
        }
    }

    /// The reading limits, defaults where unset.
    pub(crate) fn read_limits(&self) -> shipcheck_image::ReadLimits {
        let defaults = shipcheck_image::ReadLimits::default();
        shipcheck_image::ReadLimits {
            max_members: self.max_members.unwrap_or(defaults.max_members),
            max_unpacked_bytes: self.max_unpacked_size.map(|m| m.saturating_mul(1 << 20)),
            max_expansion_ratio: self.max_expansion_ratio.unwrap_or(defaults.max_expansion_ratio),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct WorkflowsEntry {
    /// The repository root holding .github/workflows, relative to this file (default: this directory).
    pub dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct DockerfileEntry {
    /// Dockerfiles, relative to this file (default: every Dockerfile and Containerfile in `repo`).
    #[serde(default)]
    pub files: Vec<String>,
    /// The repository whose workflows say what the Dockerfiles are built for (default: this directory).
    pub repo: Option<String>,
    /// Target platforms, overriding what the workflows say.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Check base images in their registries.
    #[serde(default)]
    pub online: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PackageEntry {
    /// The directory holding .packit.yaml, relative to this file (default: this directory).
    pub dir: Option<String>,
    /// The release tag to check the spec's Version against (default: the latest git tag).
    pub tag: Option<String>,
    /// NVRs already in each downstream branch (`BRANCH NVR` a line), relative to this file.
    pub existing: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct DiagnoseEntry {
    /// Log files or directories, relative to this file.
    #[serde(default)]
    pub logs: Vec<String>,
    /// Extra signature files (docs/diagnose.md), relative to this file.
    #[serde(default)]
    pub rules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RuntimeEntry {
    /// Runtime names or paths; empty means discover them (PATH and engine configs).
    #[serde(default)]
    pub names: Vec<String>,
    /// Callers to check against, `name@version` (default: every known caller, latest).
    #[serde(default)]
    pub callers: Vec<String>,
    /// A recording (or a directory of recordings) to check instead of probing; relative to this file.
    pub from_recording: Option<String>,
    /// Per-probe timeout in milliseconds.
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ImageEntry {
    /// A source as `shipcheck image` takes it; a path is relative to the config file.
    pub source: String,
    pub platforms: Option<Vec<String>>,
    #[serde(default)]
    pub fast: bool,
    /// Engines to predict loading for (`podman@3.4`, …); `[]` is the default set.
    pub engines: Option<Vec<String>>,
}

impl Config {
    /// The settings this config gives its input; `--fail-on` on the command line wins.
    /// This file's settings with the command line's on top: `--fail-on` replaces `fail-on`,
    /// `--select`/`--ignore` turn rules off.
    pub(crate) fn settings(&self, flags: &OutputArgs) -> Result<Settings> {
        let rules = self.rules.iter().map(|(id, level)| (id.as_str(), level.as_str()));
        let known = crate::explain::all_rules();
        let mut settings = Settings::from_config(self.fail_on.as_deref(), rules, &known)?;
        if let Some(f) = flags.fail_on {
            settings.fail_on = f.into();
        }
        settings.restrict(&flags.select, &flags.ignore, &known)?;
        Ok(settings)
    }

    /// This file's own settings, without any flag: to check it when it is read.
    fn own_settings(&self) -> Result<Settings> {
        let rules = self.rules.iter().map(|(id, level)| (id.as_str(), level.as_str()));
        Ok(Settings::from_config(self.fail_on.as_deref(), rules, &crate::explain::all_rules())?)
    }

    pub(crate) fn load(path: &Path) -> Result<Config> {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.len() > 1 << 20 {
            bail!("{} is {} bytes: expected a shipcheck.toml under 1 MiB", path.display(), meta.len());
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid shipcheck.toml", path.display()))
    }
}

/// A path that shipcheck.toml names under `key`, joined to the config's directory once the
/// resolver has confirmed that it stays inside the repository (links resolved). A repository's
/// config is untrusted (a pull request can change it), so `/proc/self/environ` or a link out of
/// the repository is refused here, before anything reads it. A path that does not exist passes:
/// the check that reads it reports it as missing in its own words.
pub(crate) fn inside(root: &Root, key: &str, path: &str) -> Result<PathBuf> {
    match root.resolve(Path::new(path)) {
        Ok(_) => Ok(root.path().join(path)),
        Err(e) if e.is_not_found() => Ok(root.path().join(path)),
        Err(e) => Err(anyhow::Error::new(e).context(format!("{key} in {}", root.path().join(FILE_NAME).display()))),
    }
}

/// Rewrites a source given relative to the config file's directory so it resolves from the
/// working directory, keeping its transport prefix and selector; its path must stay inside
/// the repository ([`inside`]).
pub(crate) fn rebase_source(source: &str, root: &Root) -> Result<String> {
    if source.starts_with("docker://") {
        return Ok(source.to_string());
    }
    for prefix in ["oci:", "oci-archive:", "docker-archive:"] {
        if let Some(rest) = source.strip_prefix(prefix) {
            let (path, sel) = match rest.split_once(':') {
                Some((p, s)) => (p, format!(":{s}")),
                None => (rest, String::new()),
            };
            inside(root, "[[image]] source", path)?;
            return Ok(format!("{prefix}{}{sel}", join(root.path(), path)));
        }
    }
    inside(root, "[[image]] source", source)?;
    Ok(join(root.path(), source))
}

fn join(base: &Path, path: &str) -> String {
    let p = PathBuf::from(path);
    if p.is_absolute() || base.as_os_str().is_empty() || base == Path::new(".") {
        path.to_string()
    } else {
        base.join(p).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebases_keeping_transport_and_selector() {
        let dir = tempfile::tempdir().unwrap();
        let ex = dir.path().join("ex");
        std::fs::create_dir(&ex).unwrap();
        let root = Root::new(&ex).unwrap();
        let at = |p: &str| ex.join(p).display().to_string();
        assert_eq!(
            rebase_source("docker-archive:a.tar:@1", &root).unwrap(),
            format!("docker-archive:{}:@1", at("a.tar"))
        );
        assert_eq!(rebase_source("img.tar", &root).unwrap(), at("img.tar"));
        assert_eq!(rebase_source("docker://r.io/a:1", &root).unwrap(), "docker://r.io/a:1");
        let here = Root::new(Path::new(".")).unwrap();
        assert_eq!(rebase_source("oci:lay", &here).unwrap(), "oci:lay");
    }

    #[test]
    fn refuses_paths_outside_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path()).unwrap();
        for (key, path) in [("[diagnose] rules", "/proc/self/environ"), ("[package] existing", "../../etc/passwd")] {
            let err = format!("{:#}", inside(&root, key, path).unwrap_err());
            assert!(err.contains("outside the repository") && err.contains(key), "{err}");
        }
        assert!(rebase_source("docker-archive:/etc/passwd", &root).is_err());
        // A link inside the repository that leads out of it.
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        assert!(inside(&root, "[diagnose] logs", "etc/hostname").is_err());
        // Missing paths pass: the check that reads them reports them in its own words.
        assert!(inside(&root, "[diagnose] logs", "logs/none.txt").is_ok());
    }

    #[test]
    fn rejects_unknown_keys() {
        let err = toml::from_str::<Config>("platfroms = []").unwrap_err().to_string();
        assert!(err.contains("unknown field `platfroms`"), "{err}");
    }
}
