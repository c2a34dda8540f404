//! `runtime/ignored-flag`.

use shipcheck_report::{declare_rule, Finding};

use crate::data::{data, CallerSpec};
use crate::facts::{flag_need, Facts, Verdict};

declare_rule! {
    /// ## What it catches
    /// A flag the runtime accepts and then ignores, for a caller that depends on it. No probe
    /// can see this; it comes from the runtime data (data/runtimes.toml).
    ///
    /// ## Why it breaks releases
    /// The caller believes the behaviour happened: with youki, `run --keep` parses, but the
    /// container is still removed, and BuildKit's next step cannot find its state.
    ///
    /// ## Fix
    /// Use a runtime that implements the flag for this caller.
    ///
    /// ## Example
    /// `youki 0.3.3 accepts run --keep but ignores it`.
    pub RULE = ("runtime/ignored-flag", Warning, "the runtime accepts a flag but ignores it");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(id) = &facts.identity else { return };
    for f in facts.flags.iter().filter(|f| matches!(f.verdict, Verdict::Accepted)) {
        let args = &f.invocation.args;
        let Some(ignored) = data().ignored.iter().find(|g| g.runtime == id.implementation && &g.args == args) else {
            continue;
        };
        let shown = CallerSpec::display(&f.caller.name);
        let args = args.join(" ");
        out.push(
            Finding::new(
                &RULE,
                facts.subject(),
                format!("{} accepts `{args}` but ignores it, {}", facts.label, flag_need(f)),
            )
            .evidence("why", &ignored.why)
            .evidence("source", &ignored.source)
            .remedy(format!("Use a runtime that implements `{args}` for {shown}.")),
        );
    }
}
