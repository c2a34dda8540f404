//! What one runtime observation says, measured once: who the runtime is, what its `features`
//! document answered, and for each caller requirement whether the runtime meets it. Rules
//! (`src/rules/`) read these facts and nothing else.

use shipcheck_report::Subject;

use crate::data::{data, probe_args, CallerSpec, FeatureNeed, Invocation, Provides, CONTROL_FLAG};
use crate::features::{Features, FeaturesError, Tri};
use crate::help;
use crate::identity::{identify, Identity};
use crate::observe::{Observation, Outcome};
use crate::version::Version;

/// Names runtimes are installed under, to tell a renamed runtime (crun as `runc`).
const KNOWN_NAMES: &[&str] = &["runc", "crun", "youki", "runsc", "krun"];

/// Everything the rules need about one runtime.
pub struct Facts<'a> {
    pub observation: &'a Observation,
    /// The report's artifact: `runc (/usr/sbin/runc)`, `crun (recording rec/crun)`.
    pub artifact: String,
    /// Who the runtime is; `None` when `--version` failed or named no OCI runtime.
    pub identity: Option<Identity>,
    /// The file name it is installed as.
    pub installed_as: String,
    /// `crun 1.8.1 (installed as runc)`, for messages.
    pub label: String,
    pub features: FeaturesFact,
    /// One entry a caller invocation that applies to the caller's version.
    pub flags: Vec<FlagFact<'a>>,
    /// One entry a caller feature need that applies to the caller's version.
    pub needs: Vec<NeedFact>,
}

/// What `<runtime> features` answered.
pub enum FeaturesFact {
    Parsed(Features),
    /// It exited 0 with a document that cannot be read.
    Invalid(FeaturesError),
    /// No features command: its answer and exit status.
    Missing {
        answer: String,
        exit: Option<i32>,
    },
}

/// Whether the runtime accepts the flags of one caller invocation.
pub struct FlagFact<'a> {
    pub caller: &'a CallerSpec,
    pub invocation: &'static Invocation,
    /// The probe's argument line (`run --keep --help`).
    pub probe: String,
    pub verdict: Verdict,
}

/// Whether the runtime reports one feature a caller needs.
pub struct NeedFact {
    pub caller: String,
    pub caller_version: Version,
    pub need: &'static FeatureNeed,
    /// `None` when the runtime has no usable features document.
    pub answer: Option<Tri>,
    /// Which runtime version reports it, from the data, for evidence.
    pub provided: String,
}

/// A flag probe's outcome.
pub enum Verdict {
    Accepted,
    Rejected(String),
    Failed(String),
    Unknown(String),
}

impl<'a> Facts<'a> {
    /// Measures an observation against the callers.
    pub fn measure(o: &'a Observation, callers: &'a [CallerSpec]) -> Facts<'a> {
        let artifact = match &o.path {
            Some(p) if o.source == "live" => format!("{} ({})", o.name, p.display()),
            _ if o.source != "live" => format!("{} (recording {})", o.name, o.source),
            _ => o.name.clone(),
        };
        let installed_as = o.name.rsplit('/').next().unwrap_or(&o.name).to_string();
        let identity = if o.version.error.is_some() { None } else { identify(&o.version.stdout) };
        let mut facts = Facts {
            observation: o,
            artifact,
            label: String::new(),
            installed_as,
            features: FeaturesFact::Missing { answer: String::new(), exit: None },
            identity: None,
            flags: Vec::new(),
            needs: Vec::new(),
        };
        let Some(id) = identity else { return facts };
        facts.label = label(&id, &facts.installed_as);
        facts.features = features(o);
        facts.flags = flags(o, callers);
        facts.needs = needs(&id, &facts.features, callers);
        facts.identity = Some(id);
        facts
    }

    /// The subject every runtime finding is about.
    pub fn subject(&self) -> Subject {
        Subject::whole(&self.artifact)
    }

    /// Whether the runtime is installed under another known runtime's name.
    pub fn renamed(&self) -> bool {
        let id = self.identity.as_ref().map_or("", |i| i.implementation.as_str());
        KNOWN_NAMES.contains(&self.installed_as.as_str()) && self.installed_as != id
    }
}

fn features(o: &Observation) -> FeaturesFact {
    match o.features.exit {
        Some(0) => match Features::parse(&o.features.stdout) {
            Ok(f) => FeaturesFact::Parsed(f),
            Err(e) => FeaturesFact::Invalid(e),
        },
        _ => {
            let answer = o.features.error.clone().unwrap_or_else(|| o.features.first_line());
            FeaturesFact::Missing { answer, exit: o.features.exit }
        }
    }
}

fn flags<'a>(o: &Observation, callers: &'a [CallerSpec]) -> Vec<FlagFact<'a>> {
    // A runtime whose --help accepts a flag nobody has makes every flag probe meaningless.
    let control = probe_args(&["run".to_string(), CONTROL_FLAG.to_string()]).join(" ");
    let probes_reliable = o.probes.get(&control).is_none_or(|out| !out.ok());
    let mut out = Vec::new();
    for caller in callers {
        for inv in data().invocations.iter().filter(|i| i.caller == caller.name) {
            if caller.version < data_version(&inv.since) {
                continue;
            }
            let probe = probe_args(&inv.args).join(" ");
            let verdict = match o.probes.get(&probe) {
                Some(_) if !probes_reliable => {
                    Verdict::Unknown(format!("`{control}` exited 0: this runtime's --help accepts any flag"))
                }
                Some(outcome) => probe_verdict(outcome),
                None => help_verdict(o, &inv.args),
            };
            out.push(FlagFact { caller, invocation: inv, probe, verdict });
        }
    }
    out
}

fn needs(id: &Identity, features: &FeaturesFact, callers: &[CallerSpec]) -> Vec<NeedFact> {
    let mut out = Vec::new();
    for caller in callers {
        for need in data().features.iter().filter(|f| f.caller == caller.name) {
            if caller.version < data_version(&need.since) {
                continue;
            }
            let known = provides(&id.implementation, &need.path);
            let provided = known
                .map(|p| format!("{} reports it from {} ({})", id.implementation, p.since, p.source))
                .unwrap_or_else(|| format!("no known {} version reports it", id.implementation));
            // A field the document leaves out is unknown (runtime-spec), unless the data says
            // this version predates it.
            let predates = known
                .and_then(|p| Version::parse(&p.since))
                .zip(id.version.as_ref())
                .is_some_and(|(since, have)| have < &since);
            let answer = match features {
                FeaturesFact::Parsed(f) => Some(match f.get(&need.path) {
                    Tri::Unknown if predates => Tri::No,
                    t => t,
                }),
                _ => None,
            };
            out.push(NeedFact {
                caller: caller.name.clone(),
                caller_version: caller.version.clone(),
                need,
                answer,
                provided,
            });
        }
    }
    out
}

/// A version from the embedded data, which tests check to be valid.
fn data_version(v: &str) -> Version {
    Version::parse(v).unwrap_or_else(Version::latest)
}

fn probe_verdict(out: &Outcome) -> Verdict {
    match (out.exit, &out.error) {
        (Some(0), _) => Verdict::Accepted,
        (Some(code), _) => Verdict::Rejected(format!("exit {code}: {}", out.first_line())),
        (None, Some(e)) => Verdict::Failed(e.clone()),
        (None, None) => Verdict::Unknown("the probe was not run".into()),
    }
}

/// Without a probe (an older recording), the subcommand's help text can still show a flag.
fn help_verdict(o: &Observation, args: &[String]) -> Verdict {
    let Some(sub) = args.iter().find(|a| !a.starts_with('-') && crate::observe::SUBCOMMANDS.contains(&a.as_str()))
    else {
        return Verdict::Unknown("not recorded".into());
    };
    let Some(text) = o.sub_help.get(sub).filter(|h| h.ok()) else {
        return Verdict::Unknown(format!("neither the probe nor `{sub} --help` was recorded"));
    };
    let flags = help::flags(&format!("{}{}", text.stdout, text.stderr));
    let wanted: Vec<&String> = args.iter().filter(|a| a.starts_with("--")).collect();
    if wanted.is_empty() {
        return Verdict::Unknown("single-dash options cannot be read from help text".into());
    }
    match wanted.iter().find(|w| !flags.contains(w.as_str())) {
        Some(missing) => Verdict::Rejected(format!("`{sub} --help` does not list {missing}")),
        None => Verdict::Accepted,
    }
}

/// Since which version a runtime reports a feature path, from the data.
pub fn provides(implementation: &str, path: &str) -> Option<&'static Provides> {
    data().provides.iter().find(|p| p.runtime == implementation && p.path == path)
}

/// `crun 1.8.1`.
pub fn version_label(id: &Identity) -> String {
    match &id.version {
        Some(v) => format!("{} {}", id.implementation, v),
        None => id.implementation.clone(),
    }
}

/// `crun 1.8.1 (installed as runc)`.
fn label(id: &Identity, installed_as: &str) -> String {
    if KNOWN_NAMES.contains(&installed_as) && installed_as != id.implementation {
        format!("{} (installed as {installed_as})", version_label(id))
    } else {
        version_label(id)
    }
}

/// `0.12.0` → `0.12`, for messages.
pub fn trim_version(v: &str) -> &str {
    v.strip_suffix(".0").filter(|s| s.contains('.')).unwrap_or(v)
}

/// "which BuildKit ≥0.12 passes …", for messages about a flag.
pub fn flag_need(f: &FlagFact) -> String {
    let shown = CallerSpec::display(&f.caller.name);
    format!("which {shown} ≥{} passes {}", trim_version(&f.invocation.since), f.invocation.why)
}

/// "which containerd ≥2.0 needs for …", for messages about a feature.
pub fn feature_need(n: &NeedFact) -> String {
    let shown = CallerSpec::display(&n.caller);
    format!("which {shown} ≥{} needs for {}", trim_version(&n.need.since), n.need.why)
}
