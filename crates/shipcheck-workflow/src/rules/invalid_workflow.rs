//! `workflow/invalid-workflow`.

use shipcheck_report::{declare_rule, Finding};

use shipcheck_report::Subject;

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// A workflow file that is not valid YAML, or a local action (`uses: ./path`, its
    /// `action.yml`) that a workflow step uses and that is not valid YAML.
    ///
    /// ## Why it breaks releases
    /// GitHub does not run the workflow, and shows the error only on the Actions tab; a job
    /// that uses a broken local action fails at that step.
    ///
    /// ## Fix
    /// Fix the syntax at the position given.
    ///
    /// ## Example
    /// `did not find expected key at line 12 column 5`.
    pub RULE = ("workflow/invalid-workflow", Error, "a workflow that is not valid YAML");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for (artifact, line, column, message) in &a.invalid {
        out.push(
            Finding::new(
                &RULE,
                Subject::position(artifact, *line, Some(*column)),
                format!("not valid YAML: {message}"),
            )
            .remedy("Fix the syntax at this position; GitHub does not run the workflow until then."),
        );
    }
}
