//! `workflow/platform-drift`.

use shipcheck_report::{declare_rule, Finding};

use std::collections::{BTreeMap, BTreeSet};

use shipcheck_report::Severity;

use crate::facts::{subject, Facts};
use crate::repo::Repo;
use crate::workflow::{Build, Class, Loc};

declare_rule! {
    /// ## What it catches
    /// Platforms that a workflow builds after merge (on `push`, `release`, `workflow_dispatch`,
    /// `schedule`, or a reusable workflow they call) that no pull-request workflow
    /// (`pull_request`, `pull_request_target`, `merge_group`) builds.
    ///
    /// ## Why it breaks releases
    /// A change that breaks one of those platforms goes in green and breaks the release or the
    /// main-branch image. Kubo's pull-request workflow built linux/amd64 only while
    /// `docker-image.yml` built five platforms; a change for riscv64 was merged green and broke
    /// the master image build (ipfs/kubo, docker-image.yml with `pull_request:` commented out).
    ///
    /// One finding per workflow: its message names every platform that workflow builds after
    /// merge and no pull-request build tries, and `places` lists each build step with the
    /// platforms it builds (a job that builds each platform in its own step and then pushes them
    /// all is one finding, not one per step).
    ///
    /// ## Fix
    /// Add a pull-request job that builds every release platform without pushing
    /// (`push: false`, no `load`); the finding gives the exact YAML. QEMU makes it slower, so
    /// it can be limited to changes that touch the Dockerfile with `paths:`.
    ///
    /// ## Example
    /// PR: `docker build .` on ubuntu-latest. Release: `platforms: linux/amd64,linux/riscv64`.
    pub RULE = ("workflow/platform-drift", Warning, "platforms built after merge that no pull-request build tries");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(a) = facts.workflows else { return };
    let pr: Vec<&Build> = a.builds.iter().filter(|b| b.class == Class::PullRequest).collect();
    let pr_known: BTreeSet<String> = pr.iter().filter_map(|b| b.known_platforms()).flatten().collect();
    let pr_unknown = pr.iter().any(|b| b.known_platforms().is_none());
    // One finding per workflow whose trigger runs the release builds: one gap is one finding,
    // however many steps (per-platform builds, a final multi-platform push) it shows in.
    let mut workflows: BTreeMap<&str, Vec<&Build>> = BTreeMap::new();
    for b in a.builds.iter().filter(|b| b.class == Class::PostMerge) {
        let Some(list) = b.known_platforms() else { continue };
        if list.iter().any(|p| !pr_known.contains(p)) {
            workflows.entry(b.workflow.as_str()).or_default().push(b);
        }
    }
    for builds in workflows.values() {
        // Each place with the platforms built there and the events that build them.
        let mut sites: BTreeMap<&Loc, (BTreeSet<String>, BTreeSet<&str>, &Build)> = BTreeMap::new();
        for b in builds {
            let entry = sites.entry(&b.at).or_insert((BTreeSet::new(), BTreeSet::new(), b));
            entry.0.extend(b.known_platforms().unwrap_or_default());
            entry.1.insert(b.event.as_str());
        }
        let missing: BTreeSet<String> = sites.values().flat_map(|s| s.0.iter()).filter(|p| !pr_known.contains(*p)).cloned().collect();
        let all: BTreeSet<String> = sites.values().flat_map(|s| s.0.iter().cloned()).collect();
        // The finding points at the place that builds the most of the missing platforms (the
        // multi-platform push, usually); the first such place on a tie.
        let count = |s: &BTreeSet<String>| s.iter().filter(|p| missing.contains(*p)).count();
        let Some((at, (_, _, b))) = sites.iter().max_by(|x, y| count(&x.1 .0).cmp(&count(&y.1 .0)).then(y.0.cmp(x.0)))
        else {
            continue;
        };
        let names: Vec<&str> = missing.iter().map(String::as_str).collect();
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let verb = if names.len() == 1 { "is" } else { "are" };
        let message = if pr.is_empty() {
            format!("{} {verb} built after merge, and no pull-request workflow builds an image", names.join(", "))
        } else {
            format!("{} {verb} built after merge but by no pull-request workflow", names.join(", "))
        };
        let places: Vec<String> = sites
            .iter()
            .map(|(at, (platforms, events, b))| {
                let list: Vec<&str> = platforms.iter().map(String::as_str).collect();
                let events: Vec<&str> = events.iter().copied().collect();
                format!("{}:{} {} ({} in job {}, on {})", at.artifact, at.line, list.join(","), b.tool, b.job, events.join(", "))
            })
            .collect();
        let mut f = Finding::new(&RULE, subject(at), message)
            .evidence("not_built_before_merge", names.join(", "))
            .evidence("workflow", &b.workflow)
            .evidence("release_platforms", all.join(", "))
            .evidence("places", places.join("\n"))
            .evidence(
                "pull_request_platforms",
                if pr_known.is_empty() {
                    "none".to_string()
                } else {
                    pr_known.iter().cloned().collect::<Vec<_>>().join(", ")
                },
            )
            .remedy(remedy_yaml(b, &all));
        if pr_unknown {
            f = f.severity(Severity::Note).evidence(
                "uncertain",
                "a pull-request build's platforms cannot be evaluated offline; it may build these",
            );
        }
        out.push(f);
    }
}

/// The pull-request job that closes the drift: every release platform, built, not pushed.
fn remedy_yaml(b: &Build, platforms: &[&str]) -> String {
    let mut lines = vec![
        "Build every release platform on pull requests, without pushing. Add this job to a workflow that runs on `pull_request:`:".to_string(),
        String::new(),
        "  build-all-platforms:".into(),
        "    runs-on: ubuntu-latest".into(),
        "    steps:".into(),
        "      - uses: actions/checkout@v4".into(),
        "      - uses: docker/setup-qemu-action@v3".into(),
        "      - uses: docker/setup-buildx-action@v3".into(),
        "      - uses: docker/build-push-action@v6".into(),
        "        with:".into(),
    ];
    if let Some(c) = b.context.as_deref().filter(|c| *c != ".") {
        lines.push(format!("          context: {c}"));
    }
    if let Some(f) = b.file.as_deref().filter(|f| Repo::clean(f).as_deref() != Some("Dockerfile")) {
        lines.push(format!("          file: {f}"));
    }
    lines.push(format!("          platforms: {}", platforms.join(",")));
    lines.push("          push: false".into());
    lines.join("\n")
}
