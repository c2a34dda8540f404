//! `workflow/unresolved-platforms`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{subject, Facts};
use crate::workflow::Platforms;

declare_rule! {
    /// ## What it catches
    /// An image build whose platforms are written as something shipcheck cannot evaluate from
    /// the repository (a step output, a repository variable, a bake function, a shell
    /// variable set at run time).
    ///
    /// ## Why it breaks releases
    /// It does not break anything by itself; it says where the drift and QEMU checks could
    /// not look, so that a clean report is not read as proof.
    ///
    /// ## Fix
    /// Nothing, or write the list literally (or in `env:`) where it is cheap to do so.
    ///
    /// ## Example
    /// `platforms: ${{ steps.platforms.outputs.list }}`.
    pub RULE = ("workflow/unresolved-platforms", Note, "build platforms that cannot be evaluated offline");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for b in &a.builds {
        let Platforms::Unknown(raw) = &b.platforms else { continue };
        out.push(
            Finding::new(&RULE, subject(&b.at), format!("the platforms of {} cannot be evaluated offline", b.tool))
                .evidence("written", raw.replace(crate::shell::UNKNOWN, "${{ … }}"))
                .evidence("event", &b.event)
                .remedy("Nothing to fix; drift and QEMU checks skip this build. Write the list literally or in env: to have it checked."),
        );
    }
}
