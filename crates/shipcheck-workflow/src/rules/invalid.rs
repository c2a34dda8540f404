//! `dockerfile/invalid`.

use shipcheck_report::{declare_rule, Finding};

use shipcheck_report::Subject;

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A Dockerfile that cannot be parsed: an unterminated heredoc, an instruction shipcheck
    /// does not know, a `FROM` without an image.
    ///
    /// ## Why it breaks releases
    /// BuildKit refuses it too, so the build fails.
    ///
    /// ## Fix
    /// Fix the line given.
    ///
    /// ## Example
    /// `RUN <<EOF` without a closing `EOF`.
    pub RULE = ("dockerfile/invalid", Error, "a Dockerfile that cannot be parsed");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(d) = &facts.dockerfile else { return };
    for (line, message) in &d.df.errors {
        out.push(
            Finding::new(&RULE, Subject::position(d.artifact, *line, None), message.clone())
                .remedy("Fix the instruction at this line; BuildKit refuses the file as it is."),
        );
    }
}
