//! The two domains as the binary calls them: `Workflows` on a repository, `Dockerfiles` with
//! and without a base-image lookup. The lookup here is a fake (no network); the registry
//! crate's client is tested against a real registry in the binary's tests.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use shipcheck_core::platform::Platform;
use shipcheck_core::reference::Reference;
use shipcheck_report::{Domain, Level, Report, Settings};
use shipcheck_workflow::{BaseImages, DockerfileInput, Dockerfiles, LookupError, Workflows};

/// What a fake registry lists, by image name; an image it does not list is an error.
struct Fake {
    images: Vec<(&'static str, &'static [&'static str])>,
    asked: RefCell<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
#[error("MANIFEST_UNKNOWN: no such tag")]
struct Unknown;

impl BaseImages for Fake {
    fn platforms(&self, image: &Reference) -> Result<Vec<Platform>, LookupError> {
        self.asked.borrow_mut().push(image.to_string());
        let (_, list) = self.images.iter().find(|(n, _)| *n == image.to_string()).ok_or(LookupError::new(Unknown))?;
        Ok(list.iter().map(|p| Platform::parse(p).unwrap()).collect())
    }
}

/// `Fake` behind a shared handle, so the test still sees what was asked after the input owns it.
struct Shared(std::rc::Rc<Fake>);

impl BaseImages for Shared {
    fn platforms(&self, image: &Reference) -> Result<Vec<Platform>, LookupError> {
        self.0.platforms(image)
    }
}

fn fake() -> std::rc::Rc<Fake> {
    std::rc::Rc::new(Fake {
        images: vec![("docker.io/library/alpine:3.20", &["linux/amd64", "arm64/v8"][..])],
        asked: RefCell::default(),
    })
}

fn dockerfile(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("Dockerfile");
    std::fs::write(&path, text).unwrap();
    path
}

fn fact<'r>(report: &'r Report, key: &str) -> Option<&'r str> {
    report.checked[0].facts.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn base_images_are_looked_up_through_the_trait() {
    let dir = tempfile::tempdir().unwrap();
    let path = dockerfile(dir.path(), "ARG V=3.20\nFROM alpine:${V}\nFROM example.org/gone:1\nRUN true\n");
    let lookup = fake();
    let input = DockerfileInput {
        repo: dir.path().to_path_buf(),
        files: vec![path],
        // Any spelling: `aarch64` is linux/arm64, which the fake lists as `arm64/v8`.
        platforms: vec!["linux/amd64".into(), "aarch64".into(), "riscv64".into()],
        base_images: Some(Box::new(Shared(lookup.clone()))),
        include_tests: false,
    };
    let mut report = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut report).unwrap();
    assert_eq!(*lookup.asked.borrow(), ["docker.io/library/alpine:3.20", "example.org/gone:1"]);
    let missing: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule.id == "dockerfile/base-platform-missing")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(missing, ["alpine:3.20 has no linux/riscv64"], "{:#?}", report.findings);
    let f = report.findings.iter().find(|f| f.rule.id == "dockerfile/base-platform-missing").unwrap();
    assert!(f.evidence.iter().any(|(k, v)| k == "available" && v == "linux/amd64, linux/arm64"), "{f:#?}");
    assert_eq!(fact(&report, "built_for"), Some("linux/amd64, linux/arm64, linux/riscv64"));
    assert_eq!(fact(&report, "base_images_unchecked"), Some("example.org/gone:1: MANIFEST_UNKNOWN: no such tag"));
}

#[test]
fn offline_nothing_is_looked_up_and_the_bases_that_matter_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dockerfile(dir.path(), "FROM alpine:3.20\nRUN true\n");
    let input = DockerfileInput {
        repo: dir.path().to_path_buf(),
        files: vec![path],
        platforms: vec!["linux/riscv64".into()],
        base_images: None,
        include_tests: false,
    };
    let mut report = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut report).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(fact(&report, "base_images_unchecked"), Some("alpine:3.20 (offline)"));
}

#[test]
fn rules_that_are_off_do_not_run_and_off_base_checks_look_nothing_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dockerfile(dir.path(), "FROM alpine:3.20\nRUNN make\n");
    let lookup = fake();
    let input = DockerfileInput {
        repo: dir.path().to_path_buf(),
        files: vec![path],
        platforms: vec!["linux/riscv64".into()],
        base_images: Some(Box::new(Shared(lookup.clone()))),
        include_tests: false,
    };
    let mut on = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut on).unwrap();
    let ids: Vec<&str> = on.findings.iter().map(|f| f.rule.id).collect();
    assert_eq!(ids, ["dockerfile/base-platform-missing", "dockerfile/invalid"]);
    let mut settings = Settings::default();
    for id in ["dockerfile/base-platform-missing", "dockerfile/invalid"] {
        settings.levels.insert(id.into(), Level::Off);
    }
    lookup.asked.borrow_mut().clear();
    let mut off = Report::new();
    Dockerfiles::check(&input, &settings, &mut off).unwrap();
    assert!(off.findings.is_empty(), "{:#?}", off.findings);
    assert!(lookup.asked.borrow().is_empty(), "a rule that is off asks no registry");
}

#[test]
fn bad_input_is_an_error_that_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let input = DockerfileInput {
        repo: dir.path().to_path_buf(),
        platforms: vec!["linux/$ARCH".into()],
        ..DockerfileInput::default()
    };
    let err = Dockerfiles::check(&input, &Settings::default(), &mut Report::new()).unwrap_err();
    assert_eq!(err.to_string(), "\"linux/$ARCH\" is not a platform: expected os/arch[/variant]");
    // Nothing of its kind: where it looked is said.
    let mut report = Report::new();
    Dockerfiles::check(
        &DockerfileInput { repo: dir.path().to_path_buf(), ..Default::default() },
        &Settings::default(),
        &mut report,
    )
    .unwrap();
    assert!(report.looked[0].contains("no Dockerfile or Containerfile"), "{:?}", report.looked);
    // A file that cannot be read is an error of that input, naming it.
    let missing = dir.path().join("nope/Dockerfile");
    let input = DockerfileInput { repo: dir.path().to_path_buf(), files: vec![missing.clone()], ..Default::default() };
    let mut report = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut report).unwrap();
    assert!(report.errors[0].message.starts_with(&missing.display().to_string()), "{:?}", report.errors);
    let err = Workflows::check(&dir.path().join("nope"), &Settings::default(), &mut Report::new()).unwrap_err();
    assert!(err.to_string().ends_with("is not a directory: expected a repository root"), "{err}");
}

#[test]
fn workflows_run_only_enabled_rules_and_say_where_they_looked() {
    let fixture = Path::new("tests/fixtures/rules/platform_drift");
    let mut report = Report::new();
    Workflows::check(fixture, &Settings::default(), &mut report).unwrap();
    assert!(report.findings.iter().any(|f| f.rule.id == "workflow/platform-drift"), "{:#?}", report.findings);
    assert_eq!(report.checked.len(), 2);
    assert!(report.checked.iter().all(|c| c.kind == "workflow"));
    let mut settings = Settings::default();
    settings.levels.insert("workflow/platform-drift".into(), Level::Off);
    let mut off = Report::new();
    Workflows::check(fixture, &settings, &mut off).unwrap();
    assert!(off.findings.iter().all(|f| f.rule.id != "workflow/platform-drift"), "{:#?}", off.findings);
    assert!(Workflows::rules().iter().all(|r| r.id.starts_with("workflow/")) && !Workflows::rules().is_empty());
    assert!(Dockerfiles::rules().iter().all(|r| r.id.starts_with("dockerfile/")));
    assert_eq!(Workflows::rules().len() + Dockerfiles::rules().len(), shipcheck_workflow::rules::ALL.len());
    let empty = tempfile::tempdir().unwrap();
    let mut report = Report::new();
    Workflows::check(empty.path(), &Settings::default(), &mut report).unwrap();
    assert!(report.nothing_to_check() && report.looked[0].contains(".github/workflows"), "{:?}", report.looked);
}

/// A repository in a temporary directory, with a release workflow that builds `docker/app.df`
/// (a name no convention gives a Dockerfile) and `./Dockerfile` for two platforms.
fn linked_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        ".github/workflows/release.yml",
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          platforms: linux/amd64,linux/arm64\n      - uses: docker/build-push-action@v6\n        with:\n          file: docker/app.df\n          platforms: linux/amd64,linux/arm64\n",
    );
    let amd64 = "FROM alpine\nRUN wget https://x/tool-linux-amd64.tgz\n";
    write("packaging/docker/Dockerfile", amd64);
    write("docker/app.df", amd64);
    write("tests/bud/Dockerfile", "BOGUS\n");
    write(
        "compose.yaml",
        "services:\n  e2e:\n    build:\n      context: tests/e2e\n      dockerfile: e2e.df\n  web:\n    build: web\n",
    );
    write("tests/e2e/e2e.df", "FROM alpine\nARG TARGETARCH=amd64\n");
    dir
}

fn artifacts(report: &Report) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        report.findings.iter().map(|f| (f.subject.artifact.clone(), f.severity.to_string())).collect();
    out.sort();
    out
}

#[test]
fn links_inside_the_repository_are_followed_once_with_the_builds_of_every_name() {
    let dir = linked_repo();
    let root = dir.path();
    std::os::unix::fs::symlink("packaging/docker/Dockerfile", root.join("Dockerfile")).unwrap();
    let input = DockerfileInput { repo: root.to_path_buf(), ..Default::default() };
    let mut report = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut report).unwrap();
    let name = |rel: &str| root.join(rel).display().to_string();
    // The link's target is checked once, as built for the link's platforms: an error.
    assert_eq!(
        artifacts(&report),
        [
            (name("docker/app.df"), "error".into()),
            (name("packaging/docker/Dockerfile"), "error".into()),
            (name("tests/e2e/e2e.df"), "error".into())
        ],
        "{:#?}",
        report.findings
    );
    let target = report.checked.iter().find(|c| c.input == name("packaging/docker/Dockerfile")).unwrap();
    assert!(target.facts.contains(&("linked_from".into(), "Dockerfile".into())), "{:?}", target.facts);
    // The test fixture is skipped, and said so.
    let dir_entry = report.checked.iter().find(|c| c.kind == "directory").unwrap();
    assert!(dir_entry.facts.iter().any(|(k, v)| k == "skipped" && v.starts_with("1 under")), "{dir_entry:?}");
    let with_tests = DockerfileInput { repo: root.to_path_buf(), include_tests: true, ..Default::default() };
    let mut report = Report::new();
    Dockerfiles::check(&with_tests, &Settings::default(), &mut report).unwrap();
    assert!(report.findings.iter().any(|f| f.rule.id == "dockerfile/invalid"));
}

#[test]
fn a_link_checked_out_as_text_is_followed_and_a_link_out_is_refused() {
    let dir = linked_repo();
    let root = dir.path();
    std::fs::write(root.join("Dockerfile"), "./packaging/docker/Dockerfile\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("Dockerfile"), "FROM alpine\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("Dockerfile"), root.join("Containerfile")).unwrap();
    let input = DockerfileInput { repo: root.to_path_buf(), ..Default::default() };
    let mut report = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut report).unwrap();
    assert!(!report.findings.iter().any(|f| f.rule.id == "dockerfile/invalid"), "{:#?}", report.findings);
    let target = report.checked.iter().find(|c| c.input.ends_with("packaging/docker/Dockerfile")).unwrap();
    assert!(target.facts.iter().any(|(k, _)| k == "link_checked_out_as_text"), "{:?}", target.facts);
    assert!(target.facts.iter().any(|(k, v)| k == "built_for" && v.contains("linux/arm64")), "{:?}", target.facts);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].message.contains("leads out of the repository"), "{:?}", report.errors);
}
