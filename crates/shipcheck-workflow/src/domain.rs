//! The two domains this crate offers the binary: [`Workflows`] (a repository's GitHub Actions
//! workflows) and [`Dockerfiles`] (its Dockerfiles, against what the workflows build them for).
//! Base images are looked up through [`BaseImages`], which the registry crate implements for its
//! client, so that this crate never speaks to a registry itself and the offline check needs none.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use shipcheck_core::platform::Platform;
use shipcheck_core::reference::Reference;
use shipcheck_report::{Checked, Domain, Finding, InputError, Report, Rule, Settings};

use crate::dockerfile_check::{base_images, BaseImage, Context};
use crate::facts::{check_enabled, BaseFacts, DockerfileFacts, Facts};
use crate::repo::Repo;
use crate::{build_contexts, dockerfile, find_dockerfiles, platform, workflow, yaml};

/// What a registry says an image provides. Implemented by `shipcheck_registry::Client`; tests
/// give a fake one.
pub trait BaseImages {
    /// The platforms `image` provides (attestations excluded).
    fn platforms(&self, image: &Reference) -> Result<Vec<Platform>, LookupError>;
}

/// Why the platforms of a base image could not be looked up. Its text is the lookup's own (the
/// registry's error, with its code), as the report shows it next to the image.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct LookupError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl LookupError {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> LookupError {
        LookupError(Box::new(e))
    }
}

/// A Dockerfile that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct DockerfileError {
    pub path: PathBuf,
    pub source: yaml::ReadError,
}

/// Reads and parses one Dockerfile (at most 1 MiB; never a FIFO or a device).
pub fn read_dockerfile(path: &Path) -> Result<dockerfile::Dockerfile, DockerfileError> {
    let text = yaml::read_text(path, crate::repo::MAX_FILE, "a Dockerfile")
        .map_err(|source| DockerfileError { path: path.to_path_buf(), source })?;
    Ok(dockerfile::parse(&text))
}

/// The rules of one family (`workflow/`, `dockerfile/`), from the generated registry.
fn family(cell: &'static OnceLock<Vec<&'static Rule>>, area: &str) -> &'static [&'static Rule] {
    cell.get_or_init(|| crate::rules::ALL.iter().copied().filter(|r| r.id.starts_with(area)).collect())
}

/// `shipcheck workflows`: the workflows of the repository whose root is the input.
pub struct Workflows;

/// Why a repository's workflows could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowsError {
    #[error("{} is not a directory: expected a repository root", .0.display())]
    NotADirectory(PathBuf),
}

impl Domain for Workflows {
    type Input = Path;
    type Error = WorkflowsError;

    fn rules() -> &'static [&'static Rule] {
        static RULES: OnceLock<Vec<&'static Rule>> = OnceLock::new();
        family(&RULES, "workflow/")
    }

    fn check(root: &Path, settings: &Settings, report: &mut Report) -> Result<(), WorkflowsError> {
        if !root.is_dir() {
            return Err(WorkflowsError::NotADirectory(root.to_path_buf()));
        }
        let repo = Repo::new(root);
        let analysis = workflow::analyze(&repo);
        let facts = Facts { workflows: Some(&analysis), ..Facts::default() };
        let findings = check_enabled(&facts, &|id| settings.enabled(id));
        let unreadable = repo.unreadable.borrow().clone();
        if analysis.workflows.is_empty() && unreadable.is_empty() {
            report.looked.push(format!("{} (no workflow files)", root.join(".github/workflows").display()));
        }
        for (input, message) in unreadable {
            report.errors.push(InputError { input, message });
        }
        // Counted in one pass: a filter per workflow was quadratic, and a sixth of the run on a
        // repository of 300 workflows (perf, bench/workflows.sh).
        let mut per_workflow: HashMap<&str, usize> = HashMap::new();
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
        Ok(())
    }
}

/// `shipcheck dockerfile`: Dockerfiles against the platforms they are built for.
pub struct Dockerfiles;

/// What [`Dockerfiles`] checks.
#[derive(Default)]
pub struct DockerfileInput {
    /// The repository: where Dockerfiles are searched when `files` is empty, and whose
    /// workflows say what each is built for when `platforms` is empty.
    pub repo: PathBuf,
    /// The Dockerfiles to check (default: every one in `repo`).
    pub files: Vec<PathBuf>,
    /// Target platforms as the user wrote them (any spelling); they override the workflows.
    pub platforms: Vec<String>,
    /// Where base images are looked up (`--online`); `None` lists them as unchecked.
    pub base_images: Option<Box<dyn BaseImages>>,
}

/// Why no Dockerfile could be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum DockerfilesError {
    #[error("{0:?} is not a platform: expected os/arch[/variant]")]
    NotAPlatform(String),
}

impl Domain for Dockerfiles {
    type Input = DockerfileInput;
    type Error = DockerfilesError;

    fn rules() -> &'static [&'static Rule] {
        static RULES: OnceLock<Vec<&'static Rule>> = OnceLock::new();
        family(&RULES, "dockerfile/")
    }

    fn check(input: &DockerfileInput, settings: &Settings, report: &mut Report) -> Result<(), DockerfilesError> {
        let enabled = |id: &str| settings.enabled(id);
        let explicit: Vec<String> = input
            .platforms
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| platform::normalize(p).ok_or_else(|| DockerfilesError::NotAPlatform(p.clone())))
            .collect::<Result<_, _>>()?;
        let repo = input.repo.as_path();
        let contexts = if explicit.is_empty() && repo.join(".github/workflows").is_dir() {
            build_contexts(&workflow::analyze(&Repo::new(repo)))
        } else {
            Default::default()
        };
        let paths: Vec<PathBuf> = if input.files.is_empty() {
            find_dockerfiles(repo).into_iter().map(|r| repo.join(r)).collect()
        } else {
            input.files.clone()
        };
        if paths.is_empty() && input.files.is_empty() {
            report.looked.push(format!("{} (no Dockerfile or Containerfile)", repo.display()));
        }
        for path in paths {
            let artifact = path.display().to_string();
            let ctx = if !explicit.is_empty() {
                Context { platforms: Some(explicit.clone()), source: Some("--platform".into()) }
            } else {
                let rel = path.strip_prefix(repo).ok().and_then(|r| r.to_str()).and_then(Repo::clean);
                rel.and_then(|r| contexts.get(&r.to_ascii_lowercase()).cloned()).unwrap_or_default()
            };
            let df = match read_dockerfile(&path) {
                Ok(df) => df,
                Err(e) => {
                    report.errors.push(InputError { input: artifact, message: e.to_string() });
                    continue;
                }
            };
            let facts = Facts { dockerfile: Some(DockerfileFacts::new(&df, &artifact, &ctx)), ..Facts::default() };
            let findings = check_enabled(&facts, &enabled);
            let bases = base_images(&df, &ctx);
            let mut facts = ctx.platforms.map(|p| vec![("built_for".to_string(), p.join(", "))]).unwrap_or_default();
            let (missing, unchecked) = check_bases(&artifact, &bases, input.base_images.as_deref(), &enabled);
            report.findings.extend(missing);
            if !unchecked.is_empty() {
                facts.push(("base_images_unchecked".to_string(), unchecked.join("; ")));
            }
            report.checked.push(Checked::new(artifact, "dockerfile", facts));
            report.findings.extend(findings);
        }
        Ok(())
    }
}

/// Checks base images with `lookup` (`--online`), or lists the ones that matter as unchecked:
/// those that must provide more than linux/amd64, which nearly every base image has. With
/// `dockerfile/base-platform-missing` off, nothing is looked up.
pub fn check_bases(
    artifact: &str,
    bases: &[BaseImage],
    lookup: Option<&dyn BaseImages>,
    enabled: &dyn Fn(&str) -> bool,
) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::new();
    let mut unchecked = Vec::new();
    if !enabled(crate::rules::base_platform_missing::RULE.id) {
        return (findings, unchecked);
    }
    let Some(lookup) = lookup else {
        let relevant = bases.iter().filter(|b| b.needed.iter().any(|p| p != "linux/amd64"));
        unchecked.extend(relevant.map(|b| format!("{} (offline)", b.image)));
        return (findings, unchecked);
    };
    for base in bases {
        let available = Reference::parse(&base.image)
            .map_err(|e| e.to_string())
            .and_then(|r| lookup.platforms(&r).map_err(|e| e.to_string()));
        match available {
            Ok(list) => {
                let available: Vec<String> = list.iter().map(Platform::to_string).collect();
                let facts =
                    Facts { base: Some(BaseFacts { artifact, base, available: &available }), ..Facts::default() };
                findings.extend(check_enabled(&facts, enabled));
            }
            Err(why) => unchecked.push(format!("{}: {why}", base.image)),
        }
    }
    (findings, unchecked)
}
