//! `runtime/missing-flag`.

use shipcheck_report::{declare_rule, Finding};

use crate::data::{data, CallerSpec};
use crate::facts::{flag_need, Facts, Verdict};
use crate::identity::Identity;

declare_rule! {
    /// ## What it catches
    /// A flag that a caller passes to the runtime, and that this runtime rejects. The probe is
    /// `<runtime> <subcommand> <flags…> --help`, which exits 0 only when every flag is accepted
    /// and creates nothing.
    ///
    /// ## Why it breaks releases
    /// BuildKit ≥ 0.12 runs `runc run --keep` on every RUN step. crun before 1.15 rejects it
    /// (`run: unrecognized option '--keep'`, exit 64), and hosts that installed crun *as*
    /// `runc` failed every build (moby/buildkit#4721, docker/compose#11551).
    ///
    /// ## Fix
    /// Upgrade the runtime to the version the finding names, or point the caller at a runtime
    /// that accepts the flag.
    ///
    /// ## Example
    /// `crun 1.8.1 (installed as runc) rejects run --keep, which BuildKit ≥0.12 passes on every
    /// RUN step; crun added it in 1.15`.
    pub RULE = ("runtime/missing-flag", Error, "the runtime rejects a flag its caller passes");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(id) = &facts.identity else { return };
    for f in &facts.flags {
        let Verdict::Rejected(answer) = &f.verdict else { continue };
        let shown = CallerSpec::display(&f.caller.name);
        let args = f.invocation.args.join(" ");
        let needs = flag_need(f);
        let finding = if answer.contains("unknown command") {
            let sub = f.invocation.args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
            Finding::new(&RULE, facts.subject(), format!("{} has no `{sub}` command, {needs}", facts.label)).remedy(
                format!(
                    "Use a build of {} with `{sub}` (for restore: built with CRIU), or point {shown} at runc.",
                    id.implementation
                ),
            )
        } else {
            let (history, remedy) = flag_history(id, &f.invocation.args, shown);
            Finding::new(&RULE, facts.subject(), format!("{} rejects `{args}`, {needs}; {history}", facts.label))
                .remedy(remedy)
        };
        out.push(
            finding
                .evidence("probe", &f.probe)
                .evidence("answer", answer)
                .evidence("caller", format!("{shown} {}", f.caller.version))
                .evidence("source", &f.invocation.source),
        );
    }
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
