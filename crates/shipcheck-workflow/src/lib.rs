//! GitHub Actions workflows and Dockerfiles: platform drift between pull-request and release
//! builds, and the Dockerfile mistakes that break non-amd64 images.

pub mod bake;
pub mod checks;
pub mod expr;
pub mod platform;
pub mod repo;
pub mod rules;
pub mod shell;
pub mod workflow;
pub mod yaml;

use std::path::Path;

use shipcheck_report::Finding;

/// Checks every workflow under `root/.github/workflows`. Also returns the analysis, which
/// tells the Dockerfile checks which platforms each Dockerfile is built for.
pub fn check_workflows(root: &Path) -> (workflow::Analysis, Vec<Finding>, Vec<(String, String)>) {
    let repo = repo::Repo::new(root);
    let analysis = workflow::analyze(&repo);
    let findings = checks::check(&analysis);
    let unreadable = repo.unreadable.borrow().clone();
    (analysis, findings, unreadable)
}
