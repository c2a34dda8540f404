//! The package domain's entry point: a repository directory → facts → findings. The binary
//! calls [`Packaging`]'s [`Domain::check`]; the rules run in one place, [`run`].

use std::path::{Path, PathBuf};

use shipcheck_report::{Checked, Domain, Finding, InputError, Report, Rule, Settings, Subject};

use crate::evr::Evr;
use crate::existing::ExistingError;
use crate::facts::{ConfigFacts, Facts, HistoryFacts, NvrFacts, SpecFacts, TagFacts};
use crate::{existing, git, packit, spec_check};

/// Runs the rules whose ID `enabled` accepts over `facts`; a rule that is off is not run, and a
/// rule whose facts were not measured finds nothing.
pub fn run(facts: &Facts, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    crate::rules::run(facts, enabled, &mut out);
    out
}

/// What `shipcheck package` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The release tag; the latest git tag when not given.
    pub tag: Option<String>,
    /// `--existing FILE`: the NVRs each downstream branch has.
    pub existing: Option<PathBuf>,
    /// (year, month, day) to judge changelog dates by: the caller owns the clock.
    pub today: (i32, u32, u32),
}

/// What one run found: the inputs checked, the findings, and the inputs that could not be read.
#[derive(Debug, Default)]
pub struct Outcome {
    pub checked: Vec<Checked>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// Where it looked and found no packit configuration: nothing of its kind to check.
    pub looked: Vec<String>,
}

/// Why nothing could be checked: the `--existing` file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// It cannot be read.
    #[error("cannot read {path}")]
    Read { path: PathBuf, source: std::io::Error },
    /// A line is not `BRANCH NAME-VERSION-RELEASE`.
    #[error("{path}: {error}")]
    Parse { path: PathBuf, error: ExistingError },
}

/// What one package check is given: the repository directory, and what `shipcheck package`
/// was asked.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub dir: PathBuf,
    pub options: Options,
}

/// The package domain: the packit configuration, the spec and the repository's history.
pub struct Packaging;

impl Domain for Packaging {
    type Input = Input;
    type Error = Error;

    fn rules() -> &'static [&'static Rule] {
        crate::rules::ALL
    }

    fn check(input: &Input, settings: &Settings, report: &mut Report) -> Result<(), Error> {
        let outcome = check_enabled(&input.dir, &input.options, &|id| settings.enabled(id))?;
        report.checked.extend(outcome.checked);
        report.findings.extend(outcome.findings);
        report.errors.extend(outcome.errors);
        report.looked.extend(outcome.looked);
        Ok(())
    }
}

/// Checks the packit configuration in `dir`, the spec file it names, and (when `dir` is the
/// root of a git checkout) the repository's tags and the spec's history.
pub fn check(dir: &Path, options: &Options) -> Result<Outcome, Error> {
    check_enabled(dir, options, &|_| true)
}

/// [`check`] with the rules whose ID `enabled` accepts; the others are not run.
pub fn check_enabled(dir: &Path, options: &Options, enabled: &dyn Fn(&str) -> bool) -> Result<Outcome, Error> {
    let existing = match &options.existing {
        Some(p) => Some(read_existing(p)?),
        None => None,
    };
    let mut out = Outcome::default();
    let facts = measure(dir, options, existing, &mut out);
    out.findings = run(&facts, enabled);
    Ok(out)
}

fn read_existing(path: &Path) -> Result<Vec<(String, String, Evr)>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.into(), source })?;
    existing::parse(&text).map_err(|error| Error::Parse { path: path.into(), error })
}

/// Measures what `dir` holds. What cannot be read is an input error in `out`; what was read
/// before it is still checked.
fn measure(dir: &Path, options: &Options, existing: Option<Vec<(String, String, Evr)>>, out: &mut Outcome) -> Facts {
    let mut facts = Facts::default();
    let Some(path) = packit::find(dir) else {
        out.looked.push(format!("{} (no .packit.yaml, .packit.yml, packit.yaml or packit.yml)", dir.display()));
        return facts;
    };
    let config_artifact = path.display().to_string();
    // An unreadable config is an input error; the spec file is still checked.
    let config = match packit::read(&path) {
        Ok(text) => {
            facts.config = Some(ConfigFacts::measure(&text, &config_artifact));
            out.checked.push(Checked::new(config_artifact.clone(), "packit config", Vec::new()));
            text
        }
        Err(e) => {
            out.errors.push(InputError { input: config_artifact.clone(), message: e.to_string() });
            String::new()
        }
    };
    let settings = packit::settings(&config);
    let spec = match &settings.specfile {
        // specfile_path comes from the repository: it is read only if it stays inside it.
        Some(s) => match packit::spec_path(dir, s) {
            Ok(p) => Some(p),
            // Not in the repository, but an action runs before packit reads it: packit's own
            // run creates it (cockpit extracts it from its tarball in post-upstream-clone).
            Err(packit::SpecPathError::Unreadable { error, .. })
                if error.kind() == std::io::ErrorKind::NotFound && !settings.spec_actions.is_empty() =>
            {
                note(out, &config_artifact, "spec", not_checked(s, &settings.spec_actions));
                return facts;
            }
            Err(e) => {
                out.errors.push(InputError { input: config_artifact, message: e.to_string() });
                return facts;
            }
        },
        None => only_spec(dir),
    };
    let Some(spec) = spec else { return facts };
    let latest = options.tag.clone().or_else(|| git::latest_tag(dir));
    let artifact = spec.display().to_string();
    let text = match spec_check::read(&spec) {
        Ok(text) => text,
        Err(e) => {
            out.errors.push(InputError { input: artifact, message: e.to_string() });
            return facts;
        }
    };
    let template = settings.template.clone();
    let mut spec_facts = SpecFacts::measure(&text, &artifact, latest.as_deref(), &template, options.today);
    spec_facts.changelog_kept_downstream = !settings.sync_changelog;
    let placeholder = spec_facts.version_placeholder().then(|| {
        let v = spec_facts.version.clone().unwrap_or_default();
        ("version".to_string(), format!("{v}: a placeholder packit replaces with the release's version; not compared"))
    });
    facts.spec = Some(spec_facts);
    if let (Some(existing), Some((name, new))) = (existing, spec_check::built(&text)) {
        facts.nvrs = Some(NvrFacts { artifact: artifact.clone(), name, new, existing });
    }
    if git::is_root(dir) {
        if let Some(tags) = git::tags(dir) {
            let at = match settings.template_at {
                Some((line, column)) => Subject::position(&config_artifact, line, Some(column)),
                None => Subject::whole(&config_artifact),
            };
            let (include, exclude) = (settings.include, settings.exclude);
            facts.tags = Some(TagFacts { tags, template, include, exclude, at });
        }
        if let Some(commits) = git::spec_history(&spec, &text) {
            facts.history = Some(HistoryFacts { artifact: artifact.clone(), current: text, commits });
        }
    }
    let mut spec_facts: Vec<(String, String)> = latest.map(|t| vec![("tag".to_string(), t)]).unwrap_or_default();
    spec_facts.extend(placeholder);
    if !settings.spec_actions.is_empty() {
        let acts = settings.spec_actions.iter().map(|(a, at)| format!("{a} ({at})")).collect::<Vec<_>>().join(", ");
        spec_facts.push((
            "actions".into(),
            format!("{acts} may change this spec before packit reads it; checked as written"),
        ));
    }
    out.checked.push(Checked::new(artifact, "rpm spec", spec_facts));
    facts
}

/// Adds `fact` to what the report says about the checked input `input`.
fn note(out: &mut Outcome, input: &str, key: &str, fact: String) {
    if let Some(c) = out.checked.iter_mut().find(|c| c.input == input) {
        c.facts.push((key.to_string(), fact));
    }
}

/// What was not checked when `specfile_path` names a spec that the actions create.
fn not_checked(specfile: &str, actions: &[(String, String)]) -> String {
    let acts = actions.iter().map(|(a, at)| format!("{a} ({at})")).collect::<Vec<_>>().join(", ");
    format!(
        "not checked: `{specfile}` (specfile_path) is not in the repository; the actions {acts} create or fetch it \
         when packit runs, so its Version, Release and %changelog were not checked"
    )
}

/// The one `*.spec` file in `dir`, when there is exactly one.
fn only_spec(dir: &Path) -> Option<PathBuf> {
    let specs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "spec")).collect()
        })
        .unwrap_or_default();
    (specs.len() == 1).then(|| specs[0].clone())
}
