//! Observations × caller requirements → findings.

use shipcheck_report::{Checked, Finding, Subject};

use crate::data::{data, probe_args, CallerSpec, CONTROL_FLAG};
use crate::features::{Features, Tri};
use crate::help;
use crate::identity::{identify, Identity};
use crate::observe::{Observation, Outcome};
use crate::rules::*;
use crate::version::Version;

/// Checks one runtime against the callers. Returns what was checked and the findings.
pub fn check(o: &Observation, callers: &[CallerSpec]) -> (Checked, Vec<Finding>) {
    let artifact = match &o.path {
        Some(p) if o.source == "live" => format!("{} ({})", o.name, p.display()),
        _ if o.source != "live" => format!("{} (recording {})", o.name, o.source),
        _ => o.name.clone(),
    };
    let mut c = Ctx { artifact: artifact.clone(), findings: Vec::new() };
    let mut facts = vec![(
        "source".to_string(),
        if o.source == "live" { "live probe".to_string() } else { "recording".to_string() },
    )];

    if let Some(e) = &o.version.error {
        c.add(Finding::new(&PROBE_FAILED, c.subject(), format!("`{} --version`: {e}", o.name)).remedy(
            "Check the binary (architecture, permissions, libraries) and the path the engine is configured with.",
        ));
        return (Checked::new(artifact, "runtime", facts), c.findings);
    }
    let Some(id) = identify(&o.version.stdout) else {
        let first = o.version.first_line();
        c.add(
            Finding::new(
                &NOT_A_RUNTIME,
                c.subject(),
                format!("`{} --version` does not identify an OCI runtime", o.name),
            )
            .evidence(
                "output",
                if first.is_empty() { "(nothing)".to_string() } else { first.chars().take(200).collect() },
            )
            .evidence("exit", o.version.exit.map_or("none".into(), |e| e.to_string()))
            .remedy("Point the engine's configuration at the real runtime binary."),
        );
        return (Checked::new(artifact, "not a runtime", facts), c.findings);
    };
    let label = label(&id, &o.name);
    facts.push(("implementation".into(), id.implementation.clone()));
    facts.push(("version".into(), id.version.as_ref().map_or("unknown".into(), |v| v.to_string())));
    if let Some(spec) = &id.spec {
        facts.push(("spec".into(), spec.clone()));
    }
    let installed_as = o.name.rsplit('/').next().unwrap_or(&o.name).to_string();
    let known_names = ["runc", "crun", "youki", "runsc", "krun"];
    if known_names.contains(&installed_as.as_str()) && installed_as != id.implementation {
        c.add(
            Finding::new(&RENAMED, c.subject(), format!("{installed_as} is {}", version_label(&id)))
                .evidence("installed_as", &installed_as)
                .evidence("version_output", o.version.first_line())
                .remedy("Make sure every caller's flags are accepted (see runtime/missing-flag), or install the runtime under its own name."),
        );
    }

    // features
    let features = match o.features.exit {
        Some(0) => match Features::parse(&o.features.stdout) {
            Ok(f) => Some(f),
            Err(e) => {
                c.add(
                    Finding::new(&FEATURES_INVALID, c.subject(), e)
                        .remedy("Upgrade the runtime, or report the bug to its maintainers."),
                );
                None
            }
        },
        _ => {
            let why = if let Some(e) = &o.features.error { e.clone() } else { o.features.first_line() };
            let since = provides(&id.implementation, "features");
            let mut f = Finding::new(&NO_FEATURES, c.subject(), format!("{label} has no `features` command"))
                .evidence("answer", if why.is_empty() { "(nothing)".into() } else { why })
                .evidence("exit", o.features.exit.map_or("none".into(), |e| e.to_string()));
            if let Some(p) = since {
                f = f.evidence("provided_since", format!("{} {} ({})", id.implementation, p.since, p.source));
            }
            c.add(f.remedy(format!("Upgrade {}.", id.implementation)));
            None
        }
    };
    facts.push(("features".into(), if features.is_some() { "yes".into() } else { "no".into() }));

    // A runtime whose --help accepts a flag nobody has makes every flag probe meaningless.
    let control = probe_args(&["run".to_string(), CONTROL_FLAG.to_string()]).join(" ");
    let probes_reliable = o.probes.get(&control).is_none_or(|out| !out.ok());

    for caller in callers {
        let shown = CallerSpec::display(&caller.name);
        for inv in data().invocations.iter().filter(|i| i.caller == caller.name) {
            let since = Version::parse(&inv.since).expect("data versions are checked by tests");
            if caller.version < since {
                continue;
            }
            let args = inv.args.join(" ");
            let key = probe_args(&inv.args).join(" ");
            let verdict = match o.probes.get(&key) {
                Some(_) if !probes_reliable => {
                    Verdict::Unknown(format!("`{control}` exited 0: this runtime's --help accepts any flag"))
                }
                Some(out) => probe_verdict(out),
                None => help_verdict(o, &inv.args),
            };
            let needs = format!("which {shown} ≥{} passes {}", trim_version(&inv.since), inv.why);
            match verdict {
                Verdict::Accepted => {
                    if let Some(ig) =
                        data().ignored.iter().find(|g| g.runtime == id.implementation && g.args == inv.args)
                    {
                        c.add(
                            Finding::new(
                                &IGNORED_FLAG,
                                c.subject(),
                                format!("{label} accepts `{args}` but ignores it, {needs}"),
                            )
                            .evidence("why", &ig.why)
                            .evidence("source", &ig.source)
                            .remedy(format!("Use a runtime that implements `{args}` for {shown}.")),
                        );
                    }
                }
                Verdict::Rejected(answer) if answer.contains("unknown command") => {
                    let sub = inv.args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
                    c.add(
                        Finding::new(&MISSING_FLAG, c.subject(), format!("{label} has no `{sub}` command, {needs}"))
                            .evidence("probe", &key)
                            .evidence("answer", answer)
                            .evidence("caller", format!("{shown} {}", caller.version))
                            .evidence("source", &inv.source)
                            .remedy(format!("Use a build of {} with `{sub}` (for restore: built with CRIU), or point {shown} at runc.", id.implementation)),
                    );
                }
                Verdict::Rejected(answer) => {
                    let (history, remedy) = flag_history(&id, &inv.args, shown);
                    c.add(
                        Finding::new(
                            &MISSING_FLAG,
                            c.subject(),
                            format!("{label} rejects `{args}`, {needs}; {history}"),
                        )
                        .evidence("probe", &key)
                        .evidence("answer", answer)
                        .evidence("caller", format!("{shown} {}", caller.version))
                        .evidence("source", &inv.source)
                        .remedy(remedy),
                    );
                }
                Verdict::Failed(e) => {
                    c.add(Finding::new(&PROBE_FAILED, c.subject(), format!("`{key}`: {e}")));
                }
                Verdict::Unknown(why) => {
                    c.add(
                        Finding::new(
                            &UNCHECKED,
                            c.subject(),
                            format!("could not check `{args}` ({shown} ≥{}): {why}", trim_version(&inv.since)),
                        )
                        .remedy("Record again with `shipcheck runtime --record DIR`, or check the flag by hand."),
                    );
                }
            }
        }
        for need in data().features.iter().filter(|f| f.caller == caller.name) {
            let since = Version::parse(&need.since).expect("data versions are checked by tests");
            if caller.version < since {
                continue;
            }
            let needs = format!("which {shown} ≥{} needs for {}", trim_version(&need.since), need.why);
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
            let tri = features.as_ref().map(|f| match f.get(&need.path) {
                Tri::Unknown if predates => Tri::No,
                t => t,
            });
            match tri {
                Some(Tri::Yes) => {}
                Some(Tri::No) => {
                    c.add(
                        Finding::new(
                            &MISSING_FEATURE,
                            c.subject(),
                            format!("{label} does not provide `{}`, {needs}", need.path),
                        )
                        .evidence("provided_since", provided)
                        .evidence("caller", format!("{shown} {}", caller.version))
                        .evidence("source", &need.source)
                        .remedy(format!("Upgrade {}.", id.implementation)),
                    );
                }
                Some(Tri::Unknown) => {
                    c.add(Finding::new(
                        &UNCHECKED,
                        c.subject(),
                        format!("{label}'s features do not say `{}`, {needs}", need.path),
                    ));
                }
                None => {
                    c.add(
                        Finding::new(
                            &MISSING_FEATURE,
                            c.subject(),
                            format!("{label} cannot report `{}` (no features), {needs}", need.path),
                        )
                        .severity(shipcheck_report::Severity::Warning)
                        .evidence("provided_since", provided)
                        .evidence("source", &need.source)
                        .remedy(format!("Upgrade {}.", id.implementation)),
                    );
                }
            }
        }
    }
    (Checked::new(artifact, format!("{} runtime", id.implementation), facts), c.findings)
}

struct Ctx {
    artifact: String,
    findings: Vec<Finding>,
}

impl Ctx {
    fn subject(&self) -> Subject {
        Subject::whole(&self.artifact)
    }
    fn add(&mut self, f: Finding) {
        self.findings.push(f);
    }
}

enum Verdict {
    Accepted,
    Rejected(String),
    Failed(String),
    Unknown(String),
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

fn provides(implementation: &str, path: &str) -> Option<&'static crate::data::Provides> {
    data().provides.iter().find(|p| p.runtime == implementation && p.path == path)
}

/// "crun added it in 1.15" and the remedy, from the runtime data.
fn flag_history(id: &Identity, args: &[String], caller: &str) -> (String, String) {
    let rt = &id.implementation;
    if let Some(r) = data().rejected.iter().find(|r| &r.runtime == rt && r.args == args) {
        return (format!("{rt} never accepts it: {}", r.why), format!("Point {caller} at runc for this path."));
    }
    match data().flags.iter().find(|f| &f.runtime == rt && f.args == args) {
        Some(f) if f.source.starts_with("observed") => (
            format!("{rt} {} and later accept it", f.since),
            format!("Upgrade {rt} to {} or later, or point {caller} at runc.", f.since),
        ),
        Some(f) => (
            format!("{rt} added it in {}", f.since),
            format!("Upgrade {rt} to {} or later, or point {caller} at runc.", f.since),
        ),
        None => (
            format!("no known {rt} version accepts it"),
            format!("Point {caller} at a runtime that accepts it, such as runc."),
        ),
    }
}

fn version_label(id: &Identity) -> String {
    match &id.version {
        Some(v) => format!("{} {}", id.implementation, v),
        None => id.implementation.clone(),
    }
}

/// `crun 1.8.1 (installed as runc)`.
fn label(id: &Identity, name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    if ["runc", "crun", "youki", "runsc", "krun"].contains(&base) && base != id.implementation {
        format!("{} (installed as {base})", version_label(id))
    } else {
        version_label(id)
    }
}

/// `0.12.0` → `0.12`, for messages.
fn trim_version(v: &str) -> &str {
    v.strip_suffix(".0").filter(|s| s.contains('.')).unwrap_or(v)
}
