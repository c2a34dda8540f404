//! `runtime/unchecked`.

use shipcheck_report::{declare_rule, Finding};

use crate::data::CallerSpec;
use crate::facts::{feature_need, trim_version, Facts, Verdict};
use crate::features::Tri;

declare_rule! {
    /// ## What it catches
    /// A caller requirement that could not be checked: a recording made without that probe,
    /// or a runtime whose `--help` accepts any flag (the control probe with a bogus flag
    /// exited 0), so probes prove nothing.
    ///
    /// ## Why it matters
    /// Unchecked is not passed.
    ///
    /// ## Fix
    /// Record again with a current shipcheck (`shipcheck runtime --record DIR`), or check the
    /// flag by hand.
    ///
    /// ## Example
    /// `restore -no-subreaper --help was not recorded`.
    pub RULE = ("runtime/unchecked", Note, "a requirement could not be checked");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    if facts.identity.is_none() {
        return;
    }
    for f in &facts.flags {
        let Verdict::Unknown(why) = &f.verdict else { continue };
        let shown = CallerSpec::display(&f.caller.name);
        let args = f.invocation.args.join(" ");
        out.push(
            Finding::new(
                &RULE,
                facts.subject(),
                format!("could not check `{args}` ({shown} ≥{}): {why}", trim_version(&f.invocation.since)),
            )
            .remedy("Record again with `shipcheck runtime --record DIR`, or check the flag by hand."),
        );
    }
    for n in facts.needs.iter().filter(|n| n.answer == Some(Tri::Unknown)) {
        out.push(Finding::new(
            &RULE,
            facts.subject(),
            format!("{}'s features do not say `{}`, {}", facts.label, n.need.path, feature_need(n)),
        ));
    }
}
