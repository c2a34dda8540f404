//! Fixture repositories, one per finding, and clean ones that must give none. Each is written
//! into a temporary directory as a real repository layout and checked end to end.

use std::path::Path;

use shipcheck_report::{Finding, Locator, Severity};
use shipcheck_workflow::{build_contexts, check_dockerfile, check_workflows};

mod common;
use common::repo;

/// Workflow and Dockerfile findings of a repository, as (rule, file name, line, severity).
fn findings(dir: &Path) -> Vec<(String, String, u32, Severity, String)> {
    let (analysis, mut all, unreadable) = check_workflows(dir);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    let contexts = build_contexts(&analysis);
    for rel in shipcheck_workflow::find_dockerfiles(dir) {
        let ctx = contexts.get(&rel.to_ascii_lowercase()).cloned().unwrap_or_default();
        all.extend(check_dockerfile(&dir.join(&rel), &rel, &ctx).unwrap().0);
    }
    all.iter().map(row).collect()
}

fn row(f: &Finding) -> (String, String, u32, Severity, String) {
    let line = match f.subject.locator {
        Locator::Position { line, .. } => line,
        _ => 0,
    };
    let name = Path::new(&f.subject.artifact).file_name().unwrap().to_string_lossy().to_string();
    (f.rule.id.to_string(), name, line, f.severity, f.message.clone())
}

fn rules(rows: &[(String, String, u32, Severity, String)]) -> Vec<&str> {
    rows.iter().map(|r| r.0.as_str()).collect()
}

const PR_AMD64: &str = "on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t app:pr .
";

const CLEAN_DOCKERFILE: &str = "FROM --platform=$BUILDPLATFORM golang:1.23 AS build
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .
FROM gcr.io/distroless/static
COPY --from=build /app /app
";

#[test]
fn clean_repository_with_the_same_platforms_before_and_after_merge() {
    let build = "      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          platforms: linux/amd64,linux/arm64
";
    let pr = format!(
        "on:\n  pull_request:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{build}          push: false\n"
    );
    let release = format!("on:\n  push:\n    tags: ['v*']\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{build}          push: true\n");
    let dir = repo(&[
        (".github/workflows/pr.yml", &pr),
        (".github/workflows/release.yml", &release),
        ("Dockerfile", CLEAN_DOCKERFILE),
    ]);
    assert_eq!(findings(dir.path()), []);
}

#[test]
fn kubo_shape_drift_names_every_missing_platform() {
    let release = "on:
  push:
    branches: [master]
  # pull_request:
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/build-push-action@v6
        with:
          platforms: linux/amd64,linux/arm64/v8,linux/riscv64
          push: true
";
    let dir = repo(&[(".github/workflows/pr.yml", PR_AMD64), (".github/workflows/image.yml", release)]);
    let got = findings(dir.path());
    let drift = got.iter().find(|r| r.0 == "workflow/platform-drift").expect("drift");
    assert_eq!((drift.1.as_str(), drift.2, drift.3), ("image.yml", 12, Severity::Warning));
    assert!(drift.4.starts_with("linux/arm64, linux/riscv64 are built after merge"), "{}", drift.4);
    let commented = got.iter().find(|r| r.0 == "workflow/commented-trigger").expect("commented trigger");
    assert_eq!(commented.2, 4);
}

#[test]
fn no_pull_request_build_at_all_is_drift_of_every_platform() {
    let release = "on: release\njobs:\n  b:\n    runs-on: ubuntu-24.04-arm\n    steps:\n      - run: docker buildx build --platform linux/arm64 --push .\n";
    let dir = repo(&[(".github/workflows/release.yml", release)]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"], "{got:?}");
    assert!(got[0].4.contains("no pull-request workflow builds an image"));
    assert_eq!(got[0].2, 6);
}

#[test]
fn event_conditional_platforms_in_one_workflow() {
    let wf = "on: [pull_request, push]
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/build-push-action@v6
        with:
          platforms: ${{ github.event_name == 'pull_request' && 'linux/amd64' || 'linux/amd64,linux/s390x' }}
          push: ${{ github.event_name != 'pull_request' }}
";
    let dir = repo(&[(".github/workflows/ci.yml", wf)]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"]);
    assert!(got[0].4.starts_with("linux/s390x is built after merge"));
}

#[test]
fn steps_skipped_on_pull_requests_do_not_count() {
    let wf = "on: [pull_request, push]
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-qemu-action@v3
      - run: docker buildx build --platform linux/amd64 .
      - if: github.event_name == 'push'
        run: docker buildx build --platform linux/amd64,linux/ppc64le --push .
";
    let dir = repo(&[(".github/workflows/ci.yml", wf)]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"]);
    assert_eq!(got[0].2, 9);
    assert!(got[0].4.starts_with("linux/ppc64le"));
}

#[test]
fn matrix_with_native_runners_needs_no_qemu() {
    let wf = |on: &str| {
        format!(
            "on: {on}
jobs:
  b:
    strategy:
      matrix:
        include:
          - platform: linux/amd64
            runner: ubuntu-latest
          - platform: linux/arm64
            runner: ubuntu-24.04-arm
    runs-on: ${{{{ matrix.runner }}}}
    steps:
      - uses: docker/build-push-action@v6
        with:
          platforms: ${{{{ matrix.platform }}}}
"
        )
    };
    let dir = repo(&[(".github/workflows/pr.yml", &wf("pull_request")), (".github/workflows/main.yml", &wf("push"))]);
    assert_eq!(findings(dir.path()), []);
}

#[test]
fn matrix_exclude_removes_a_platform_from_pull_requests() {
    let wf = "on: [pull_request, push]
jobs:
  b:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        platform: [linux/amd64, linux/arm64]
        event: [pull_request, push]
        exclude:
          - platform: linux/arm64
            event: pull_request
    steps:
      - uses: docker/setup-qemu-action@v3
      - if: matrix.event == github.event_name
        run: docker buildx build --platform ${{ matrix.platform }} .
";
    let dir = repo(&[(".github/workflows/ci.yml", wf)]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"], "{got:?}");
    assert!(got[0].4.starts_with("linux/arm64"));
}

#[test]
fn reusable_workflow_gets_its_platforms_from_each_caller() {
    let called = "on:
  workflow_call:
    inputs:
      platforms:
        type: string
        default: linux/amd64
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/build-push-action@v6
        with:
          platforms: ${{ inputs.platforms }}
";
    let pr = "on: pull_request\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n";
    let release = "on:\n  push:\n    tags: ['v*']\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n    with:\n      platforms: linux/amd64,linux/arm/v7\n";
    let dir = repo(&[
        (".github/workflows/build.yml", called),
        (".github/workflows/pr.yml", pr),
        (".github/workflows/release.yml", release),
    ]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"], "{got:?}");
    assert_eq!((got[0].1.as_str(), got[0].2), ("build.yml", 14));
    assert!(got[0].4.starts_with("linux/arm/v7"));
}

#[test]
fn composite_action_in_the_repository() {
    let action = "name: build
inputs:
  platforms:
    default: linux/amd64
runs:
  using: composite
  steps:
    - uses: docker/setup-buildx-action@v3
    - shell: bash
      run: |
        docker buildx build \\
          --platform ${{ inputs.platforms }} \\
          --load .
";
    let pr = "on: pull_request\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/build\n";
    let release = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/build\n        with:\n          platforms: linux/amd64,linux/arm64\n";
    let dir = repo(&[
        (".github/actions/build/action.yml", action),
        (".github/workflows/pr.yml", pr),
        (".github/workflows/release.yml", release),
    ]);
    let got = findings(dir.path());
    let mut ids = rules(&got);
    ids.sort();
    assert_eq!(ids, ["workflow/load-multi-platform", "workflow/missing-qemu", "workflow/platform-drift"], "{got:?}");
    for r in &got {
        // The build's line inside the composite action: the `docker buildx build` command.
        assert_eq!((r.1.as_str(), r.2), ("action.yml", 11), "{r:?}");
    }
}

#[test]
fn missing_or_partial_qemu() {
    let wf = |qemu: &str| {
        format!(
            "on: pull_request
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
{qemu}      - uses: docker/build-push-action@v6
        with:
          platforms: linux/amd64,linux/386,linux/arm64,linux/riscv64
"
        )
    };
    let got = findings(repo(&[(".github/workflows/pr.yml", &wf(""))]).path());
    assert_eq!(rules(&got), ["workflow/missing-qemu"]);
    assert!(got[0].4.contains("no QEMU is set up for linux/arm64, linux/riscv64"), "{}", got[0].4);
    let partial = "      - uses: docker/setup-qemu-action@v3\n        with:\n          platforms: arm64\n";
    let got = findings(repo(&[(".github/workflows/pr.yml", &wf(partial))]).path());
    assert!(got[0].4.contains("does not cover linux/riscv64"), "{}", got[0].4);
    let binfmt = "      - run: docker run --privileged --rm tonistiigi/binfmt --install all\n";
    assert_eq!(findings(repo(&[(".github/workflows/pr.yml", &wf(binfmt))]).path()), []);
}

#[test]
fn load_with_several_platforms_unless_the_containerd_store_is_on() {
    let wf = |setup: &str| {
        format!(
            "on: pull_request
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-qemu-action@v3
{setup}      - uses: docker/build-push-action@v6
        with:
          platforms: linux/amd64,linux/arm64
          load: true
"
        )
    };
    let got = findings(repo(&[(".github/workflows/pr.yml", &wf(""))]).path());
    assert_eq!(rules(&got), ["workflow/load-multi-platform"]);
    assert_eq!((got[0].2, got[0].3), (9, Severity::Error));
    let store = "      - uses: docker/setup-docker-action@v4\n        with:\n          daemon-config: '{\"features\": {\"containerd-snapshotter\": true}}'\n";
    assert_eq!(findings(repo(&[(".github/workflows/pr.yml", &wf(store))]).path()), []);
}

#[test]
fn gha_cache_only_where_the_build_pushes_or_exports_a_cache() {
    let wf = |push: &str| {
        format!(
            "on: [pull_request, push]
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          cache-from: type=gha
          push: {push}
"
        )
    };
    let got = findings(repo(&[(".github/workflows/ci.yml", &wf("true"))]).path());
    assert_eq!(rules(&got), ["workflow/gha-cache-long-build"]);
    assert_eq!(findings(repo(&[(".github/workflows/ci.yml", &wf("false"))]).path()), []);
    // Exporting a registry cache reads the imported layers at the end as a push does; exporting
    // back to the gha cache does not.
    let export =
        |to: &str| wf("false").replace("          push:", &format!("          cache-to: {to}\n          push:"));
    let got = findings(repo(&[(".github/workflows/ci.yml", &export("type=registry,ref=r/app:cache"))]).path());
    assert_eq!(rules(&got), ["workflow/gha-cache-long-build"]);
    assert_eq!(findings(repo(&[(".github/workflows/ci.yml", &export("type=gha,mode=max"))]).path()), []);
    // `push:` decided at run time counts after merge, not before.
    let got = findings(repo(&[(".github/workflows/ci.yml", &wf("${{ github.ref == 'refs/heads/main' }}"))]).path());
    assert_eq!(rules(&got), ["workflow/gha-cache-long-build"]);
}

#[test]
fn unknown_platforms_are_reported_not_guessed() {
    let pr = "on: pull_request
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - id: p
        run: echo list=linux/amd64,linux/arm64 >> $GITHUB_OUTPUT
      - uses: docker/setup-qemu-action@v3
      - uses: docker/build-push-action@v6
        with:
          platforms: ${{ steps.p.outputs.list }}
";
    let release = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - run: docker buildx build --platform linux/amd64,linux/arm64 --push .\n";
    let dir = repo(&[(".github/workflows/pr.yml", pr), (".github/workflows/release.yml", release)]);
    let got = findings(dir.path());
    let unresolved = got.iter().find(|r| r.0 == "workflow/unresolved-platforms").expect("unresolved");
    assert_eq!((unresolved.1.as_str(), unresolved.2, unresolved.3), ("pr.yml", 11, Severity::Note));
    // The PR build may cover arm64: the drift is only a note.
    let drift = got.iter().find(|r| r.0 == "workflow/platform-drift").expect("drift");
    assert_eq!(drift.3, Severity::Note);
}

#[test]
fn bake_targets_and_set_overrides() {
    let bake = "group \"default\" { targets = [\"app\"] }
target \"app\" {
  context = \".\"
  platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/riscv64\"]
}
";
    let pr = "on: pull_request
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/bake-action@v6
        with:
          set: |
            *.platform=linux/amd64
";
    let release = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - uses: docker/bake-action@v6\n        with:\n          push: true\n";
    let dir = repo(&[
        ("docker-bake.hcl", bake),
        (".github/workflows/pr.yml", pr),
        (".github/workflows/release.yml", release),
    ]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"], "{got:?}");
    assert!(got[0].4.starts_with("linux/arm64, linux/riscv64"), "{}", got[0].4);
}

#[test]
fn invalid_yaml_is_a_finding_with_its_position() {
    let dir = repo(&[(".github/workflows/bad.yml", "on: push\njobs:\n  b: [\n")]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/invalid-workflow"]);
    assert_eq!(got[0].1, "bad.yml");
}

#[test]
fn a_local_action_that_is_not_yaml_is_reported_once_at_its_file() {
    let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/setup\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/setup\n";
    let dir = repo(&[
        (".github/workflows/ci.yml", wf),
        (".github/actions/setup/action.yml", "runs:\n  using: composite\n  steps: [\n"),
    ]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/invalid-workflow"], "{got:?}");
    assert_eq!(got[0].1, "action.yml");
}

#[test]
fn dockerfiles_are_judged_by_the_platforms_the_workflows_build_them_for() {
    let release = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - uses: docker/build-push-action@v6\n        with:\n          file: docker/app.Dockerfile\n          platforms: linux/amd64,linux/arm64\n";
    let pr = "on: pull_request\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - run: docker buildx build -f docker/app.Dockerfile --platform linux/amd64,linux/arm64 .\n";
    let dockerfile = "FROM debian\nRUN curl -fsSLO https://example.com/tool_1.0_linux_amd64.tar.gz\n";
    let single = "FROM debian\nRUN curl -fsSLO https://example.com/tool_1.0_linux_amd64.tar.gz\n";
    let dir = repo(&[
        (".github/workflows/release.yml", release),
        (".github/workflows/pr.yml", pr),
        ("docker/app.Dockerfile", dockerfile),
        ("tools/Dockerfile", single),
    ]);
    let got = findings(dir.path());
    // Built for two platforms: an error. Built by nothing known: a note.
    assert!(
        got.contains(&(
            "dockerfile/hardcoded-arch".into(),
            "app.Dockerfile".into(),
            2,
            Severity::Error,
            "downloads an amd64 file for every platform: https://example.com/tool_1.0_linux_amd64.tar.gz".into()
        )),
        "{got:?}"
    );
    assert!(got.iter().any(|r| r.1 == "Dockerfile" && r.3 == Severity::Note), "{got:?}");
}

#[test]
fn hostile_inputs_do_not_escape_or_panic() {
    let dir = repo(&[
        // A composite action path that climbs out of the repository.
        (
            ".github/workflows/a.yml",
            "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./../../etc\n",
        ),
        // A workflow calling itself, from many jobs (exponential without a budget).
        (
            ".github/workflows/self.yml",
            &format!(
                "on: [push, workflow_call]\njobs:\n{}",
                (0..20).map(|i| format!("  j{i}:\n    uses: ./.github/workflows/self.yml\n")).collect::<String>()
            ),
        ),
        // Not a mapping, binary junk, deep nesting.
        (".github/workflows/list.yml", "- a\n- b\n"),
        (".github/workflows/deep.yml", &format!("on: push\njobs: {}{}\n", "[".repeat(5000), "]".repeat(5000))),
    ]);
    std::fs::write(dir.path().join(".github/workflows/bin.yml"), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    let (_, _, unreadable) = check_workflows(dir.path());
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(unreadable[0].1.contains("not UTF-8"));
}

#[test]
fn goreleaser_images_count_as_release_builds() {
    let goreleaser = "version: 2
builds:
  - goos: [linux]
    goarch: [amd64, arm64, arm]
dockers:
  - image_templates: ['ghcr.io/o/app:{{ .Version }}-amd64']
    use: buildx
    build_flag_templates: ['--platform=linux/amd64']
  - image_templates: ['ghcr.io/o/app:{{ .Version }}-arm64']
    use: buildx
    goarch: arm64
  - image_templates: ['ghcr.io/o/app:{{ .Version }}-armv7']
    use: buildx
    goarch: arm
    goarm: 7
";
    let release = "on:\n  push:\n    tags: ['v*']\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --clean\n";
    let dir = repo(&[
        (".goreleaser.yaml", goreleaser),
        (".github/workflows/pr.yml", PR_AMD64),
        (".github/workflows/release.yml", release),
    ]);
    let got = findings(dir.path());
    let mut drift: Vec<(String, u32)> =
        got.iter().filter(|r| r.0 == "workflow/platform-drift").map(|r| (r.4.clone(), r.2)).collect();
    drift.sort();
    assert_eq!(
        drift,
        // One finding for the workflow, at the first of its two places.
        [("linux/arm/v7, linux/arm64 are built after merge but by no pull-request workflow".to_string(), 11)],
        "{got:?}"
    );
    assert!(!got.iter().any(|r| r.0 == "workflow/missing-qemu"), "GoReleaser images are not judged for QEMU");
    // A snapshot release in pull requests builds the same images: no drift.
    let pr = "on: pull_request\njobs:\n  s:\n    runs-on: ubuntu-latest\n    steps:\n      - run: goreleaser release --snapshot --clean\n";
    let dir = repo(&[
        (".goreleaser.yaml", goreleaser),
        (".github/workflows/pr.yml", pr),
        (".github/workflows/release.yml", release),
    ]);
    assert!(!findings(dir.path()).iter().any(|r| r.0 == "workflow/platform-drift"));
    // `--skip=docker` builds no image.
    let pr = pr.replace("--clean", "--clean --skip=docker");
    let dir = repo(&[
        (".goreleaser.yaml", goreleaser),
        (".github/workflows/pr.yml", &pr),
        (".github/workflows/release.yml", release),
    ]);
    assert!(findings(dir.path()).iter().any(|r| r.0 == "workflow/platform-drift"));
}

#[test]
fn make_targets_are_followed_into_the_makefile() {
    // The kubebuilder scaffold: the release workflow runs `make docker-buildx`.
    let makefile = "IMG ?= controller:latest\nPLATFORMS ?= linux/arm64,linux/amd64,linux/s390x,linux/ppc64le\nCONTAINER_TOOL ?= docker\n\ndocker-build:\n\t$(CONTAINER_TOOL) build -t ${IMG} .\n\ndocker-buildx:\n\t- $(CONTAINER_TOOL) buildx create --name builder\n\t- $(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) --tag ${IMG} -f Dockerfile.cross .\n";
    let pr = "on: pull_request\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make docker-build\n";
    let release = "on:\n  push:\n    tags: ['v*']\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - run: make docker-buildx IMG=ghcr.io/o/op:${{ github.ref_name }}\n";
    let dir =
        repo(&[("Makefile", makefile), (".github/workflows/pr.yml", pr), (".github/workflows/release.yml", release)]);
    let got = findings(dir.path());
    assert_eq!(rules(&got), ["workflow/platform-drift"], "{got:?}");
    assert_eq!((got[0].1.as_str(), got[0].2), ("release.yml", 9));
    assert!(got[0].4.starts_with("linux/arm64, linux/ppc64le, linux/s390x are built after merge"), "{}", got[0].4);
    // A PLATFORMS override on the command line is what is built.
    let release = release.replace("make docker-buildx", "make docker-buildx PLATFORMS=linux/amd64");
    let dir =
        repo(&[("Makefile", makefile), (".github/workflows/pr.yml", pr), (".github/workflows/release.yml", &release)]);
    assert_eq!(findings(dir.path()), []);
}

#[test]
fn ko_builds_use_their_platforms_or_ko_yaml_defaults() {
    let release =
        "on: release\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ko build ./cmd/app --bare\n";
    let pr = "on: pull_request\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ko build ./cmd/app --local --platform=linux/amd64\n";
    let dir = repo(&[
        (".ko.yaml", "defaultPlatforms:\n  - linux/arm64\n  - linux/amd64\n"),
        (".github/workflows/pr.yml", pr),
        (".github/workflows/release.yml", release),
    ]);
    let got = findings(dir.path());
    // ko cross-compiles: no QEMU finding; the default arm64 is never built in PRs.
    assert_eq!(rules(&got), ["workflow/platform-drift"], "{got:?}");
    assert!(got[0].4.starts_with("linux/arm64 is built after merge"));
    let all = release.replace("--bare", "--bare --platform=all");
    let dir = repo(&[(".github/workflows/pr.yml", pr), (".github/workflows/release.yml", &all)]);
    assert_eq!(rules(&findings(dir.path())), ["workflow/unresolved-platforms"]);
}
