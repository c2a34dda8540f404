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
use crate::{
    build_contexts, built_dockerfiles, compose_dockerfiles, dockerfile, is_dockerfile, platform, search_dockerfiles,
    workflow, yaml,
};
use shipcheck_core::paths::{PathError, Root};

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
    /// The Dockerfiles to check, and directories to search for them (default: `repo`).
    pub files: Vec<PathBuf>,
    /// Target platforms as the user wrote them (any spelling); they override the workflows.
    pub platforms: Vec<String>,
    /// Where base images are looked up (`--online`); `None` lists them as unchecked.
    pub base_images: Option<Box<dyn BaseImages>>,
    /// Also search test fixture and vendored directories ([`crate::TEST_AND_VENDOR_DIRS`]).
    pub include_tests: bool,
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
        let analysis = (explicit.is_empty() && repo.join(".github/workflows").is_dir())
            .then(|| workflow::analyze(&Repo::new(repo)));
        let contexts = analysis.as_ref().map(build_contexts).unwrap_or_default();
        let mut built = analysis.as_ref().map(built_dockerfiles).unwrap_or_default();
        built.extend(compose_dockerfiles(&Repo::new(repo)));
        let place = Place { root: Root::new(repo).ok(), repo: Repo::new(repo) };
        let targets: Vec<PathBuf> = if input.files.is_empty() { vec![repo.to_path_buf()] } else { input.files.clone() };
        let mut paths = Vec::new();
        for target in &targets {
            if !target.is_dir() {
                paths.push(target.clone());
                continue;
            }
            let found = search_dockerfiles(target, input.include_tests);
            let mut here: Vec<PathBuf> = found.files.iter().map(|r| target.join(r)).collect();
            // Files the builds name count wherever they are and whatever they are called.
            let dir_rel = place.rel(target);
            for name in &built {
                let under = dir_rel.as_deref().and_then(|d| {
                    if d.is_empty() {
                        Some(name.as_str())
                    } else {
                        name.strip_prefix(d)?.strip_prefix('/')
                    }
                });
                let Some(under) = under else { continue };
                let path = target.join(under);
                if !found.files.iter().any(|f| f == under) && path.is_file() {
                    here.push(path);
                }
            }
            let skipped = found.skipped.iter().filter(|s| !here.iter().any(|h| h == &target.join(s))).count();
            let shown = place.artifact(target);
            if here.is_empty() {
                let why = if skipped > 0 {
                    format!(" outside test fixture and vendored directories: {skipped} skipped, --include-tests checks them")
                } else {
                    String::new()
                };
                report.looked.push(format!("{shown} (no Dockerfile or Containerfile{why})"));
            } else if skipped > 0 {
                let note =
                    format!("{skipped} under test fixture and vendored directories (--include-tests checks them)");
                let facts = vec![("dockerfiles".to_string(), here.len().to_string()), ("skipped".to_string(), note)];
                report.checked.push(Checked::new(shown, "directory", facts));
            }
            paths.extend(here);
        }
        // One check per file: a link and the file it names are the same Dockerfile, built for
        // what either name is built for.
        let mut files: std::collections::BTreeMap<String, Located> = Default::default();
        for path in paths {
            let located = match place.locate(&path) {
                Ok(l) => l,
                Err(message) => {
                    report.errors.push(InputError { input: place.artifact(&path), message });
                    continue;
                }
            };
            match files.get_mut(&located.artifact) {
                Some(seen) => seen.names.extend(located.names),
                None => {
                    files.insert(located.artifact.clone(), located);
                }
            }
        }
        for (artifact, located) in files {
            let ctx = if !explicit.is_empty() {
                Context { platforms: Some(explicit.clone()), source: Some("--platform".into()) }
            } else {
                merged_context(located.names.iter().filter_map(|n| contexts.get(&n.to_ascii_lowercase())))
            };
            let df = dockerfile::parse(&located.text);
            let facts = Facts { dockerfile: Some(DockerfileFacts::new(&df, &artifact, &ctx)), ..Facts::default() };
            let findings = check_enabled(&facts, &enabled);
            let bases = base_images(&df, &ctx);
            let mut facts = ctx.platforms.map(|p| vec![("built_for".to_string(), p.join(", "))]).unwrap_or_default();
            let aliases: Vec<&str> = located
                .names
                .iter()
                .filter(|n| Some(n.as_str()) != located.rel.as_deref())
                .map(String::as_str)
                .collect();
            if !aliases.is_empty() {
                facts.push(("linked_from".to_string(), aliases.join(", ")));
            }
            if located.text_link {
                facts.push((
                    "link_checked_out_as_text".to_string(),
                    "the file holds only the path of another Dockerfile (a symbolic link checked out with core.symlinks=false); that file is checked".to_string(),
                ));
            }
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

/// The platforms and sources of every build of one file, under any of its names.
fn merged_context<'a>(contexts: impl Iterator<Item = &'a Context>) -> Context {
    let mut platforms: Vec<String> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    for ctx in contexts {
        platforms.extend(ctx.platforms.iter().flatten().cloned());
        sources.extend(ctx.source.iter().flat_map(|s| s.split(", ").map(String::from)));
    }
    platforms.sort();
    platforms.dedup();
    sources.sort();
    sources.dedup();
    Context {
        platforms: (!platforms.is_empty()).then_some(platforms),
        source: (!sources.is_empty()).then(|| sources.join(", ")),
    }
}

/// Where Dockerfiles are, relative to the repository whose workflows build them.
struct Place {
    /// The canonical repository root; `None` when the repository is not a directory.
    root: Option<Root>,
    repo: Repo,
}

/// A Dockerfile found, with the text to check.
struct Located {
    /// How findings name it: the file itself (a link's target), in the form workflow findings use.
    artifact: String,
    /// Its repository-relative path, when it is in the repository.
    rel: Option<String>,
    /// Every repository-relative name it was reached by (its own and links'), for the builds.
    names: Vec<String>,
    text: String,
    /// Whether `text` came from the file a link checked out as text names.
    text_link: bool,
}

impl Place {
    /// The repository-relative path of `path` (relative to the working directory or
    /// absolute, with or without `./`), its last component not resolved (a link keeps its name).
    fn rel(&self, path: &Path) -> Option<String> {
        let root = self.root.as_ref()?;
        let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
        let (parent, name) = match abs.file_name() {
            Some(name) => (abs.parent()?.canonicalize().ok()?, Some(name)),
            // `.`, `..` and the root itself: a directory, resolved whole.
            None => (abs.canonicalize().ok()?, None),
        };
        let full = name.map_or(parent.clone(), |n| parent.join(n));
        Repo::clean(full.strip_prefix(root.canonical()).ok()?.to_str()?)
    }

    /// How reports name `path`: repository paths as workflow findings name them (`Dockerfile`
    /// with `--repo .`, `/abs/repo/Dockerfile` with an absolute one), others as given.
    fn artifact(&self, path: &Path) -> String {
        match self.rel(path) {
            Some(rel) if rel.is_empty() => self.repo.root.display().to_string(),
            Some(rel) => self.repo.artifact(&rel),
            None => path.display().to_string(),
        }
    }

    /// Resolves links inside the repository (a link out of it is refused, naming it) and reads
    /// the file; a file that holds only the path of another Dockerfile of the repository is a
    /// link checked out as text, and that file is read instead.
    fn locate(&self, path: &Path) -> Result<Located, String> {
        let Some((root, rel)) = self.root.as_ref().zip(self.rel(path)) else {
            let text = read(path)?;
            return Ok(Located {
                artifact: path.display().to_string(),
                rel: None,
                names: vec![],
                text,
                text_link: false,
            });
        };
        let real = self.resolve(root, &rel, path)?;
        let mut names = vec![rel.clone()];
        if real != rel {
            names.push(real.clone());
        }
        let text = read(&root.canonical().join(&real))?;
        if let Some(target) = text_link(&text, &real).filter(|t| t != &real) {
            if let Ok(target_real) = self.resolve(root, &target, path) {
                if let Ok(target_text) = read(&root.canonical().join(&target_real)) {
                    names.push(target_real.clone());
                    let artifact = self.repo.artifact(&target_real);
                    return Ok(Located { artifact, rel: Some(target_real), names, text: target_text, text_link: true });
                }
            }
        }
        Ok(Located { artifact: self.repo.artifact(&real), rel: Some(real), names, text, text_link: false })
    }

    /// The repository-relative path `rel` leads to, through links.
    fn resolve(&self, root: &Root, rel: &str, shown: &Path) -> Result<String, String> {
        match root.resolve(Path::new(rel)) {
            Ok(real) => real
                .strip_prefix(root.canonical())
                .ok()
                .and_then(|r| r.to_str())
                .and_then(Repo::clean)
                .ok_or_else(|| format!("{}: not a path shipcheck can name", shown.display())),
            Err(PathError::Outside { .. }) => Err(format!(
                "{}: a symbolic link that leads out of the repository; not followed (check the file it names directly)",
                self.artifact(shown)
            )),
            Err(PathError::Io { source, .. }) => {
                Err(DockerfileError { path: shown.to_path_buf(), source: yaml::ReadError::from_io(shown, source) }
                    .to_string())
            }
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    yaml::read_text(path, crate::repo::MAX_FILE, "a Dockerfile")
        .map_err(|source| DockerfileError { path: path.to_path_buf(), source }.to_string())
}

/// The repository-relative Dockerfile a file checked out from a symbolic link names (git writes
/// the link's target as the file's only line when links are off), if it is one.
fn text_link(text: &str, rel: &str) -> Option<String> {
    let target = text.trim();
    if target.is_empty() || target.contains(char::is_whitespace) || target.starts_with('/') {
        return None;
    }
    let name = Path::new(target).file_name()?.to_str()?;
    if !is_dockerfile(name) {
        return None;
    }
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    Repo::clean(&if dir.is_empty() { target.to_string() } else { format!("{dir}/{target}") })
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
