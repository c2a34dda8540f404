//! What workflows mean (issue 15, item 4): merged pull requests are after merge, bake's `local`
//! is the runner's platform, unknown bake targets stay unknown, bake's HCL functions evaluate,
//! one drift finding per workflow, and the gha cache rule's 10-minute threshold. The last test
//! measures the corpus's real repositories when they are present.

use std::path::{Path, PathBuf};

use shipcheck_report::{Finding, Locator, Severity};
use shipcheck_workflow::check_workflows;
use shipcheck_workflow::workflow::{runs_of, Class};

mod common;
use common::repo;

fn findings(dir: &Path) -> Vec<Finding> {
    check_workflows(dir).1
}

fn of<'a>(all: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    all.iter().filter(|f| f.rule.id == rule).collect()
}

fn line(f: &Finding) -> u32 {
    match f.subject.locator {
        Locator::Position { line, .. } => line,
        _ => 0,
    }
}

const PR_AMD64: &str =
    "on: pull_request\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker build .\n";

#[test]
fn closed_pull_requests_run_after_merge() {
    let node = |y: &str| shipcheck_workflow::yaml::parse(y).unwrap();
    assert_eq!(runs_of("pull_request", None), [(Class::PullRequest, Some(false))]);
    let closed = node("types: [closed]\n");
    assert_eq!(runs_of("pull_request", closed.as_ref()), [(Class::PostMerge, Some(true))]);
    let both = node("types: [opened, synchronize, closed]\n");
    assert_eq!(
        runs_of("pull_request_target", both.as_ref()),
        [(Class::PullRequest, Some(false)), (Class::PostMerge, Some(true))]
    );
    assert_eq!(runs_of("push", None), [(Class::PostMerge, None)]);

    // A release job gated on `merged` builds arm64 after merge; the PR build tries amd64 only.
    let release = "on:\n  pull_request:\n    types: [opened, synchronize, closed]\njobs:\n  release:\n    if: github.event.pull_request.merged == true\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - uses: docker/build-push-action@v6\n        with:\n          platforms: linux/amd64,linux/arm64\n          push: true\n";
    let dir = repo(&[(".github/workflows/pr.yml", PR_AMD64), (".github/workflows/release.yml", release)]);
    let all = findings(dir.path());
    let drift = of(&all, "workflow/platform-drift");
    assert_eq!(drift.len(), 1, "{all:#?}");
    assert!(drift[0].message.starts_with("linux/arm64 is built after merge"), "{}", drift[0].message);
    assert!(drift[0].evidence.iter().any(|(_, v)| v.contains("closed, merged")), "{:?}", drift[0].evidence);
}

#[test]
fn bake_local_is_the_runner_platform() {
    let bake = "target \"default\" {\n  platforms = [\"local\"]\n}\n";
    let wf = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/bake-action@v6\n";
    let dir =
        repo(&[(".github/workflows/pr.yml", PR_AMD64), (".github/workflows/b.yml", wf), ("docker-bake.hcl", bake)]);
    let all = findings(dir.path());
    assert!(all.is_empty(), "{all:#?}");
    // On an arm runner `local` is linux/arm64, which the PR build does not try.
    let dir = repo(&[
        (".github/workflows/pr.yml", PR_AMD64),
        (".github/workflows/b.yml", &wf.replace("ubuntu-latest", "ubuntu-24.04-arm")),
        ("docker-bake.hcl", bake),
    ]);
    let all = findings(dir.path());
    assert_eq!(of(&all, "workflow/platform-drift").len(), 1, "{all:#?}");
    assert!(of(&all, "workflow/missing-qemu").is_empty(), "{all:#?}");
}

#[test]
fn unknown_bake_targets_are_not_the_default_group() {
    let bake = "group \"default\" {\n  targets = [\"a\"]\n}\ntarget \"a\" {\n  platforms = [\"linux/amd64\", \"linux/s390x\"]\n}\n";
    let wf = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/bake-action@v6\n        with:\n          targets: ${{ steps.t.outputs.targets }}\n";
    let dir =
        repo(&[(".github/workflows/pr.yml", PR_AMD64), (".github/workflows/b.yml", wf), ("docker-bake.hcl", bake)]);
    let all = findings(dir.path());
    assert!(of(&all, "workflow/platform-drift").is_empty(), "{all:#?}");
    assert!(of(&all, "workflow/missing-qemu").is_empty(), "{all:#?}");
    let unresolved = of(&all, "workflow/unresolved-platforms");
    assert_eq!(unresolved.len(), 1, "{all:#?}");

    // `set:` is read line by line: a run-time cache scope does not hide a literal platform,
    // and a run-time platform is unknown.
    let set = |platform: &str| {
        format!("on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/bake-action@v6\n        with:\n          set: |\n            *.platform={platform}\n            *.cache-from=type=gha,scope=${{{{ env.PAIR }}}}\n")
    };
    let dir = repo(&[
        (".github/workflows/pr.yml", PR_AMD64),
        (".github/workflows/b.yml", &set("linux/arm64")),
        ("docker-bake.hcl", bake),
    ]);
    let all = findings(dir.path());
    let drift = of(&all, "workflow/platform-drift");
    assert_eq!(drift.len(), 1, "{all:#?}");
    assert!(drift[0].message.starts_with("linux/arm64 is built"), "{}", drift[0].message);
    let dir = repo(&[
        (".github/workflows/pr.yml", PR_AMD64),
        (".github/workflows/b.yml", &set("${{ steps.p.outputs.platform }}")),
        ("docker-bake.hcl", bake),
    ]);
    let all = findings(dir.path());
    assert!(of(&all, "workflow/platform-drift").is_empty(), "{all:#?}");
    assert_eq!(of(&all, "workflow/unresolved-platforms").len(), 1, "{all:#?}");
}

#[test]
fn bake_functions_evaluate() {
    use shipcheck_workflow::bake::resolve;
    use std::collections::BTreeMap;
    let hcl = r#"
variable "PLATFORMS" { default = "linux/amd64, ,linux/arm64" }
variable "EXTRA" { default = "" }
target "a" { platforms = compact(split(",", replace(PLATFORMS, " ", ""))) }
target "b" { platforms = concat(["linux/amd64"], compact([EXTRA]), [lower("LINUX/ARM64")]) }
target "c" { platforms = [format("%s/%s", "linux", upper("s390x") == "S390X" ? "s390x" : "x")] }
target "d" { platforms = split(",", join(",", ["linux/ppc64le"], [trimspace(" linux/386 ")])) }
target "e" { platforms = [format("%05d", 1)] }
"#;
    let files = vec![("docker-bake.hcl".to_string(), hcl.to_string())];
    let get = |t: &str| resolve(&files, &[t.to_string()], &BTreeMap::new()).unwrap().remove(0).platforms;
    assert_eq!(get("a"), Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into()])));
    assert_eq!(get("b"), Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into()])));
    assert_eq!(get("c"), Some(Ok(vec!["linux/s390x".into()])));
    assert_eq!(get("d"), Some(Ok(vec!["linux/ppc64le".into(), "linux/386".into()])));
    assert!(matches!(get("e"), Some(Err(_))), "a format verb shipcheck does not know stays unknown");
}

#[test]
fn one_drift_finding_per_workflow_with_every_place() {
    let mut steps = String::new();
    for p in ["linux/arm/v7", "linux/arm64", "linux/riscv64"] {
        steps.push_str(&format!("      - uses: docker/build-push-action@v6\n        with:\n          platforms: {p}\n          load: true\n"));
    }
    steps.push_str("      - uses: docker/build-push-action@v6\n        with:\n          platforms: linux/amd64,linux/arm/v7,linux/arm64,linux/riscv64\n          push: true\n");
    let wf = format!("on:\n  push:\n  workflow_dispatch:\njobs:\n  hub:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n{steps}");
    let dir = repo(&[(".github/workflows/pr.yml", PR_AMD64), (".github/workflows/image.yml", &wf)]);
    let all = findings(dir.path());
    let drift = of(&all, "workflow/platform-drift");
    assert_eq!(drift.len(), 1, "{all:#?}");
    let f = drift[0];
    assert_eq!(
        f.message,
        "linux/arm/v7, linux/arm64, linux/riscv64 are built after merge but by no pull-request workflow"
    );
    assert_eq!(f.severity, Severity::Warning);
    // It points at the push, which builds every missing platform, and lists all four places.
    assert_eq!(line(f), 23, "{f:#?}");
    let places = &f.evidence.iter().find(|(k, _)| k == "places").unwrap().1;
    assert_eq!(places.lines().count(), 4, "{places}");
    assert!(places.contains("push, workflow_dispatch"), "{places}");
}

fn gha_job(timeout: &str, with: &str) -> String {
    format!("on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n{timeout}    steps:\n      - uses: docker/build-push-action@v6\n        with:\n{with}")
}

#[test]
fn gha_cache_rule_needs_an_import_a_push_or_export_and_a_long_job() {
    let push_import = "          push: true\n          cache-from: type=gha\n          cache-to: type=gha,mode=max\n";
    let count = |wf: &str| {
        let dir = repo(&[(".github/workflows/a.yml", wf)]);
        of(&findings(dir.path()), "workflow/gha-cache-long-build").len()
    };
    assert_eq!(count(&gha_job("", push_import)), 1, "no timeout: GitHub's 360 minutes");
    assert_eq!(count(&gha_job("    timeout-minutes: 30\n", push_import)), 1);
    assert_eq!(count(&gha_job("    timeout-minutes: 10\n", push_import)), 0, "ten minutes is short");
    assert_eq!(count(&gha_job("    timeout-minutes: ${{ 5 }}\n", push_import)), 0);
    // The step's own limit bounds the build too.
    let step_limit = gha_job("", push_import)
        .replace("      - uses: docker/build", "      - timeout-minutes: 8\n        uses: docker/build");
    assert_eq!(count(&step_limit), 0, "{step_limit}");
    // Neither a push nor a cache export: nothing uses an old URL at the end.
    assert_eq!(count(&gha_job("", "          push: false\n          load: true\n          cache-from: type=gha\n")), 0);
    // Exporting to the gha cache without importing it gets fresh URLs at the export.
    assert_eq!(count(&gha_job("", "          push: true\n          cache-to: type=gha,mode=max\n")), 0);
    // Exporting back to the gha cache skips the blobs it already has: no old URL is used.
    assert_eq!(count(&gha_job("", "          cache-from: type=gha\n          cache-to: type=gha,mode=max\n")), 0);
    // A registry cache export reads the imported layers at the end, as a push does.
    assert_eq!(count(&gha_job("", "          cache-from: type=gha\n          cache-to: type=registry,ref=r/c\n")), 1);
    assert_eq!(
        count(&gha_job(
            "",
            "          cache-from: type=gha\n          cache-to: |\n            type=gha\n            r/app:cache\n"
        )),
        1
    );
    // kubo's shape: each platform built (and its layers kept by the job's builder) before one
    // step pushes them all; the push takes no layer from the gha cache. Not when a platform of
    // the push was not built before it.
    let per_platform = |p: &str| {
        format!("      - uses: docker/build-push-action@v6\n        with:\n          platforms: {p}\n          load: true\n          cache-from: type=gha\n")
    };
    let warm = |pushed: &str| {
        gha_job(
            "",
            &format!(
                "          platforms: linux/amd64\n          load: true\n          cache-from: type=gha\n{}",
                per_platform("linux/arm64")
            ),
        ) + &per_platform(pushed).replace("load: true", "push: true")
    };
    assert_eq!(count(&warm("linux/amd64,linux/arm64")), 0, "{}", warm("linux/amd64,linux/arm64"));
    assert_eq!(count(&warm("linux/amd64,linux/arm64,linux/riscv64")), 1);
}

/// The corpus of real repositories, if present (SHIPCHECK_CORPUS, else ../shared/corpus from
/// the workspace root). Under CI it must be there.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.join("repos").is_dir() {
        return Some(dir.join("repos"));
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "the corpus is missing at {}", dir.display());
    eprintln!("skipped: no corpus at {}", dir.display());
    None
}

#[test]
fn real_repositories() {
    let Some(repos) = corpus() else { return };
    let warnings = |name: &str, rule: &str| -> Vec<Finding> {
        findings(&repos.join(name)).into_iter().filter(|f| f.rule.id == rule && f.severity != Severity::Note).collect()
    };
    // The incident: riscv64 was added to the release build only. One finding names it.
    let drift = warnings("kubo@765cffe6c", "workflow/platform-drift");
    assert_eq!(drift.len(), 1, "{drift:#?}");
    assert!(drift[0].message.contains("linux/riscv64"), "{}", drift[0].message);
    // bake's `local` is the runner's platform, not a platform needing QEMU.
    for name in ["buildx@461836ba0", "compose@f72979427"] {
        assert!(warnings(name, "workflow/missing-qemu").is_empty(), "{name}");
    }
    // mirrord 3.137.0: the gha cache on the release push, with no job limit, stays a catch.
    let gha = warnings("mirrord@434f601bc", "workflow/gha-cache-long-build");
    assert!(gha.iter().any(|f| line(f) == 172), "{gha:#?}");
    assert!(gha.iter().all(|f| f.subject.artifact.ends_with("release.yaml")), "CI builds export to gha only: {gha:#?}");
    // kubo: the per-platform steps neither push nor export elsewhere; the push after them
    // finds every layer in the job's builder, so no gha URL is used at its end.
    let gha: Vec<u32> = warnings("kubo@867cdc5d8", "workflow/gha-cache-long-build").iter().map(line).collect();
    assert!(gha.is_empty(), "{gha:?}");
    // buildkit's test binaries for freebsd and windows: QEMU could not run those anyway.
    assert!(warnings("buildkit@73ed6825c", "workflow/missing-qemu").is_empty());
    // ruff cross-compiles (every RUN on $BUILDPLATFORM): arm64 on an amd64 runner needs no QEMU.
    assert!(warnings("ruff@fca5c7cf2", "workflow/missing-qemu").is_empty());
    // split() in ci/docker-bake.hcl evaluates now.
    let notes = findings(&repos.join("mirrord@8320eb8f8"));
    assert!(!notes.iter().any(|f| f.rule.id == "workflow/unresolved-platforms"), "{notes:#?}");
    // loki: one drift finding per workflow, not one per image step.
    assert_eq!(warnings("loki@65e30f848", "workflow/platform-drift").len(), 5);
}
