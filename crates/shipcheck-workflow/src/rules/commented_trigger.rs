//! `workflow/commented-trigger`.

use shipcheck_report::{declare_rule, Finding};

use shipcheck_report::Subject;

use crate::facts::Facts;
use crate::workflow::{classify, Class};

declare_rule! {
    /// ## What it catches
    /// A commented-out `pull_request:` trigger in a workflow that builds images and has no
    /// pull-request trigger.
    ///
    /// ## Why it breaks releases
    /// Someone switched the image build off for pull requests (often because it was slow);
    /// from then on the build is only tried after merge. This was Kubo's `docker-image.yml`.
    ///
    /// ## Fix
    /// Restore the trigger with `push: false` for pull requests, limited with `paths:` if it
    /// is slow, or add a separate pull-request build of the same platforms.
    ///
    /// ## Example
    /// `on: { push: … }` followed by `# pull_request:`.
    pub RULE = ("workflow/commented-trigger", Warning, "a commented-out pull_request trigger on an image build");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    for w in &a.workflows {
        let has_pr = w.events.iter().any(|e| classify(e) == Some(Class::PullRequest));
        if let (Some((line, column)), true, false) = (w.commented_pr_trigger, w.builds_images, has_pr) {
            out.push(
                Finding::new(&RULE, Subject::position(&w.artifact, line, Some(column)), "the pull_request trigger of this image build is commented out")
                    .evidence("triggers", w.events.join(", "))
                    .remedy("Restore `pull_request:` (with `push: false` for pull requests, and `paths:` if the build is slow), or build the same platforms in a pull-request workflow."),
            );
        }
    }
}
