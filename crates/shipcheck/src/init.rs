//! `shipcheck init`: a commented shipcheck.toml for the repository it finds.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::config::{self, Config};

/// The packit configuration names packit reads, in its order.
const PACKIT_FILES: [&str; 4] = [".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"];

/// What the repository at `dir` has for the checks that need no configuration.
struct Found {
    workflows: usize,
    dockerfiles: usize,
    packit: Option<&'static str>,
}

fn survey(dir: &Path) -> Found {
    let workflows = std::fs::read_dir(dir.join(".github/workflows"))
        .map(|entries| {
            entries.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "yml" || x == "yaml")).count()
        })
        .unwrap_or(0);
    let dockerfiles = shipcheck_workflow::find_dockerfiles(dir).len();
    let packit = PACKIT_FILES.into_iter().find(|f| dir.join(f).is_file());
    Found { workflows, dockerfiles, packit }
}

/// A section switched on when the repository has its inputs, else shown commented out.
fn section(out: &mut String, on: bool, why: &str, body: &str) {
    let _ = writeln!(out, "\n# {why}");
    for line in body.lines() {
        if on || line.starts_with('#') {
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
}

/// The text of the shipcheck.toml for a repository with `found`.
fn render(found: &Found) -> String {
    let mut out = String::from(
        "# shipcheck.toml: what `shipcheck check` runs here (docs/config.md).\n\
         # Every command reads it for its settings; `--config FILE` names another.\n\
         \n\
         # Lowest severity that makes the exit status 1: \"error\" (default), \"warning\" or \"note\".\n\
         # fail-on = \"warning\"\n\
         \n\
         # Platforms every image must provide, unless an [[image]] sets its own.\n\
         # platforms = [\"linux/amd64\", \"linux/arm64\"]\n\
         \n\
         # Per-rule severity, or \"off\" (`shipcheck explain` lists the rules).\n\
         [rules]\n\
         # \"workflow/commented-trigger\" = \"note\"\n",
    );
    let n = |count: usize, what: &str| format!("{count} {what}{}", if count == 1 { "" } else { "s" });
    section(
        &mut out,
        found.workflows > 0,
        &format!("GitHub Actions: platform drift, QEMU, gha cache ({} found).", n(found.workflows, "workflow")),
        "[workflows]\n# dir = \".\"",
    );
    section(
        &mut out,
        found.dockerfiles > 0,
        &format!(
            "Dockerfiles, judged by the platforms the workflows build them for ({} found).",
            n(found.dockerfiles, "file")
        ),
        "[dockerfile]\n# files = [\"Dockerfile\"]\n# platforms = [\"linux/amd64\", \"linux/arm64\"]",
    );
    let packit = match found.packit {
        Some(name) => format!("packit preflight ({name} found)."),
        None => "packit preflight (no .packit.yaml found).".to_string(),
    };
    section(&mut out, found.packit.is_some(), &packit, "[package]\n# tag = \"v1.2.3\"");
    section(
        &mut out,
        false,
        "Image archives, layouts or registry images to verify.",
        "[[image]]\nsource = \"oci-archive:image.tar\"\n# platforms = [\"linux/amd64\", \"linux/arm64\"]",
    );
    section(
        &mut out,
        false,
        "OCI runtimes on this machine, checked against the callers that will use them.",
        "[runtime]\nnames = [\"runc\", \"crun\"]",
    );
    section(&mut out, false, "CI logs to diagnose.", "[diagnose]\nlogs = [\"logs/\"]");
    out
}

pub(crate) fn init(dir: &Path, force: bool) -> Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory: expected the repository to write shipcheck.toml in", dir.display());
    }
    let path = dir.join(config::FILE_NAME);
    // symlink_metadata: a link named shipcheck.toml (even a dangling one) counts as there.
    let there = std::fs::symlink_metadata(&path).is_ok();
    if there && !force {
        bail!("{} exists: --force replaces it", path.display());
    }
    let found = survey(dir);
    let text = render(&found);
    // What is written must load: the template and the loader cannot drift apart.
    toml::from_str::<Config>(&text).context("the generated shipcheck.toml does not load (a bug)")?;
    if there {
        // The old entry goes first, so a link is replaced, never written through.
        std::fs::remove_file(&path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {}: {} workflows, {} Dockerfiles, {}; run `shipcheck check`",
        path.display(),
        found.workflows,
        found.dockerfiles,
        found.packit.map_or("no packit configuration".to_string(), |p| p.to_string())
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_loads() {
        for (workflows, dockerfiles, packit) in [(0, 0, None), (3, 1, Some(".packit.yaml")), (1, 0, None)] {
            let text = render(&Found { workflows, dockerfiles, packit });
            let config: Config = toml::from_str(&text).unwrap();
            assert_eq!(config.workflows.is_some(), workflows > 0, "{text}");
            assert_eq!(config.dockerfile.is_some(), dockerfiles > 0, "{text}");
            assert_eq!(config.package.is_some(), packit.is_some(), "{text}");
            assert!(config.image.is_empty() && config.runtime.is_none() && config.diagnose.is_none());
        }
    }
}
