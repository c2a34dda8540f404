//! Findings about workflows, from what `workflow::analyze` saw them build.

use std::collections::{BTreeMap, BTreeSet};

use shipcheck_report::{Finding, Severity, Subject};

use crate::platform::{normalize, runs_natively};
use crate::repo::Repo;
use crate::rules::*;
use crate::workflow::{Analysis, Build, Class, Loc, Platforms};

fn subject(at: &Loc) -> Subject {
    Subject::position(&at.artifact, at.line, Some(at.column))
}

/// Every workflow finding, one per place and rule.
pub fn check(a: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    for (artifact, line, column, message) in &a.invalid {
        out.push(
            Finding::new(
                &INVALID_WORKFLOW,
                Subject::position(artifact, *line, Some(*column)),
                format!("not valid YAML: {message}"),
            )
            .remedy("Fix the syntax at this position; GitHub does not run the workflow until then."),
        );
    }
    drift(a, &mut out);
    for b in &a.builds {
        qemu(b, &mut out);
        if let (true, Some(list)) = (b.load, b.known_platforms()) {
            if list.len() > 1 && !b.containerd_store {
                out.push(
                    Finding::new(
                        &LOAD_MULTI_PLATFORM,
                        subject(&b.at),
                        format!("{} loads a build of {} platforms into Docker", b.tool, list.len()),
                    )
                    .evidence("platforms", list.join(","))
                    .evidence("job", &b.job)
                    .evidence("predicted_error", "docker exporter does not currently support exporting manifest lists")
                    .remedy("Load only the runner's platform for tests (platforms: linux/amd64 with load: true) and push the multi-platform build in a separate step, or enable Docker's containerd image store (docker/setup-docker-action with containerd-snapshotter)."),
                );
            }
        }
        if b.gha_cache && b.job_pushes {
            out.push(
                Finding::new(&GHA_CACHE_LONG_BUILD, subject(&b.at), format!("job {} uses the gha cache and pushes an image", b.job))
                    .evidence("event", &b.event)
                    .evidence("tool", &b.tool)
                    .remedy("Export the cache from a separate short job, use a registry cache (type=registry), or build each platform in its own job and merge them with `docker buildx imagetools create`, so no credential issued at the start is used at the end of a long build."),
            );
        }
        if let Platforms::Unknown(raw) = &b.platforms {
            out.push(
                Finding::new(&UNRESOLVED_PLATFORMS, subject(&b.at), format!("the platforms of {} cannot be evaluated offline", b.tool))
                    .evidence("written", raw.replace(crate::shell::UNKNOWN, "${{ … }}"))
                    .evidence("event", &b.event)
                    .remedy("Nothing to fix; drift and QEMU checks skip this build. Write the list literally or in env: to have it checked."),
            );
        }
    }
    for w in &a.workflows {
        let has_pr = w.events.iter().any(|e| crate::workflow::classify(e) == Some(Class::PullRequest));
        if let (Some((line, column)), true, false) = (w.commented_pr_trigger, w.builds_images, has_pr) {
            out.push(
                Finding::new(&COMMENTED_TRIGGER, Subject::position(&w.artifact, line, Some(column)), "the pull_request trigger of this image build is commented out")
                    .evidence("triggers", w.events.join(", "))
                    .remedy("Restore `pull_request:` (with `push: false` for pull requests, and `paths:` if the build is slow), or build the same platforms in a pull-request workflow."),
            );
        }
    }
    dedupe(out)
}

/// One finding per rule, place and message: a step evaluated for several events or matrix
/// combinations is reported once.
fn dedupe(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    findings.into_iter().filter(|f| seen.insert((f.rule.id, f.subject.clone(), f.message.clone()))).collect()
}

fn qemu(b: &Build, out: &mut Vec<Finding>) {
    let (Platforms::Explicit(_), Some(native), false, true) = (&b.platforms, &b.native, b.multi_node, b.judge_qemu)
    else {
        return;
    };
    let Some(list) = b.known_platforms() else { return };
    let covered = |p: &str| match &b.qemu {
        Some(None) => true,
        Some(Some(q)) => q.iter().any(|e| {
            let e = e.trim().to_ascii_lowercase();
            e == "all" || normalize(&e).is_some_and(|n| n == p || p.starts_with(&format!("{n}/")))
        }),
        None => false,
    };
    let missing: Vec<&String> = list.iter().filter(|p| !runs_natively(native, p) && !covered(p)).collect();
    if missing.is_empty() {
        return;
    }
    let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
    let what = if b.qemu.is_some() { "the QEMU set-up does not cover" } else { "no QEMU is set up for" };
    out.push(
        Finding::new(&MISSING_QEMU, subject(&b.at), format!("{what} {} on a {native} runner", names.join(", ")))
            .evidence("job", &b.job)
            .evidence("tool", &b.tool)
            .evidence("runner_platform", native)
            .remedy(format!(
                "Add before the build:\n  - uses: docker/setup-qemu-action@v3\n    with:\n      platforms: {}",
                names.iter().map(|p| p.trim_start_matches("linux/")).collect::<Vec<_>>().join(",")
            )),
    );
}

fn drift(a: &Analysis, out: &mut Vec<Finding>) {
    let pr: Vec<&Build> = a.builds.iter().filter(|b| b.class == Class::PullRequest).collect();
    let pr_known: BTreeSet<String> = pr.iter().filter_map(|b| b.known_platforms()).flatten().collect();
    let pr_unknown = pr.iter().any(|b| b.known_platforms().is_none());
    // One finding per release build site, listing what it builds that no PR build does.
    let mut sites: BTreeMap<Loc, (&Build, BTreeSet<String>)> = BTreeMap::new();
    for b in a.builds.iter().filter(|b| b.class == Class::PostMerge) {
        let Some(list) = b.known_platforms() else { continue };
        let missing: BTreeSet<String> = list.into_iter().filter(|p| !pr_known.contains(p)).collect();
        if !missing.is_empty() {
            sites.entry(b.at.clone()).or_insert((b, BTreeSet::new())).1.extend(missing);
        }
    }
    for (at, (b, missing)) in sites {
        let names: Vec<&str> = missing.iter().map(String::as_str).collect();
        let release: BTreeSet<String> = a
            .builds
            .iter()
            .filter(|x| x.class == Class::PostMerge && x.at == at)
            .filter_map(|x| x.known_platforms())
            .flatten()
            .collect();
        let all: Vec<&str> = release.iter().map(String::as_str).collect();
        let verb = if names.len() == 1 { "is" } else { "are" };
        let message = if pr.is_empty() {
            format!("{} {verb} built after merge, and no pull-request workflow builds an image", names.join(", "))
        } else {
            format!("{} {verb} built after merge but by no pull-request workflow", names.join(", "))
        };
        let mut events: Vec<&str> =
            a.builds.iter().filter(|x| x.class == Class::PostMerge && x.at == at).map(|x| x.event.as_str()).collect();
        events.sort();
        events.dedup();
        let mut f = Finding::new(&PLATFORM_DRIFT, subject(&at), message)
            .evidence("not_built_before_merge", names.join(", "))
            .evidence(
                "release build",
                format!("{} ({} in job {}, on {})", all.join(", "), b.tool, b.job, events.join(", ")),
            )
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
