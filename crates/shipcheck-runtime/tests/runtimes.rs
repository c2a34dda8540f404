//! Live probes of Debian's runc 1.1.5 and crun 1.8.1, replay of every capture in
//! ../shared/corpus/runtimes, record → replay round trips, and binaries that hang or are not
//! runtimes. runc and crun come from scripts/install-test-deps.sh; without them the live tests
//! skip, except under CI=true.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shipcheck_report::Finding;
use shipcheck_runtime::check::check;
use shipcheck_runtime::data::{probe_lines, CallerSpec};
use shipcheck_runtime::observe::{self, Observation};
use shipcheck_runtime::probe;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("runtimes");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "corpus not found at {}", dir.display());
    None
}

fn binary(name: &str) -> Option<PathBuf> {
    let path = format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", std::env::var("PATH").unwrap_or_default());
    let found = shipcheck_runtime::discover::which(name, std::ffi::OsStr::new(&path));
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed (run scripts/install-test-deps.sh)"
        );
        eprintln!("skipping: {name} not installed");
    }
    found
}

fn callers(list: &[&str]) -> Vec<CallerSpec> {
    list.iter().map(|c| CallerSpec::parse(c).unwrap()).collect()
}

fn rules(f: &[Finding]) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = f.iter().map(|f| f.rule.id).collect();
    r.sort();
    r.dedup();
    r
}

fn live(name: &str, path: &Path) -> Observation {
    probe::observe(&[(name.to_string(), path.to_path_buf())], &probe_lines(), Duration::from_secs(5)).remove(0)
}

#[test]
fn live_crun_fails_buildkit_and_lacks_features() {
    let Some(crun) = binary("crun") else { return };
    let o = live("crun", &crun);
    let (checked, findings) = check(&o, &callers(&["buildkit@0.12"]));
    assert!(checked.facts.contains(&("implementation".into(), "crun".into())), "{checked:?}");
    let keep = findings.iter().find(|f| f.rule.id == "runtime/missing-flag").expect("run --keep rejected");
    assert!(
        keep.message.contains("rejects `run --keep`") && keep.message.contains("BuildKit ≥0.12"),
        "{}",
        keep.message
    );
    assert!(keep.evidence.iter().any(|(_, v)| v.contains("unrecognized option '--keep'")), "{:?}", keep.evidence);
    // Debian bookworm's crun 1.8.1 has no features command.
    if o.version.stdout.contains("crun version 1.8.") {
        assert!(rules(&findings).contains(&"runtime/no-features"), "{findings:#?}");
        assert!(keep.message.contains("crun added it in 1.15"));
    }
}

#[test]
fn live_runc_passes_buildkit() {
    let Some(runc) = binary("runc") else { return };
    let o = live("runc", &runc);
    let (checked, findings) = check(&o, &callers(&["buildkit@0.12", "containerd@1.7", "docker@24"]));
    assert!(checked.facts.contains(&("implementation".into(), "runc".into())));
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(o.features.ok(), "runc 1.1 has features");
}

#[test]
fn crun_installed_as_runc_is_still_crun() {
    let Some(crun) = binary("crun") else { return };
    let dir = tempfile::tempdir().unwrap();
    let disguised = dir.path().join("runc");
    std::os::unix::fs::symlink(&crun, &disguised).unwrap();
    // Looked up by name on a PATH where the first runc is crun.
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let found = shipcheck_runtime::discover::which("runc", std::ffi::OsStr::new(&path)).unwrap();
    assert_eq!(found, disguised);
    let o = live("runc", &found);
    let (checked, findings) = check(&o, &callers(&["buildkit@0.12"]));
    assert!(checked.facts.contains(&("implementation".into(), "crun".into())));
    assert!(rules(&findings).contains(&"runtime/renamed"));
    let keep = findings.iter().find(|f| f.rule.id == "runtime/missing-flag").unwrap();
    assert!(keep.message.contains("(installed as runc)"), "{}", keep.message);
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn a_hanging_runtime_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let hang = script(dir.path(), "runc", "#!/bin/sh\nexec sleep 300\n");
    let started = Instant::now();
    let o = probe::observe(&[("runc".into(), hang)], &probe_lines(), Duration::from_millis(300)).remove(0);
    // Every probe was killed: nothing waited for `sleep 300`.
    assert!(started.elapsed() < Duration::from_secs(60), "probes were not killed");
    assert!(o.version.error.as_deref().unwrap_or("").contains("no answer within 300 ms"), "{:?}", o.version);
    let (_, findings) = check(&o, &callers(&["buildkit"]));
    assert_eq!(rules(&findings), vec!["runtime/probe-failed"]);
}

#[test]
fn garbage_binaries_get_clear_findings() {
    let dir = tempfile::tempdir().unwrap();
    let hello = script(dir.path(), "runc", "#!/bin/sh\necho hello\n");
    let (_, findings) = check(&live("runc", &hello), &callers(&["buildkit"]));
    assert_eq!(rules(&findings), vec!["runtime/not-a-runtime"]);
    assert!(findings[0].evidence.iter().any(|(k, v)| k == "output" && v == "hello"));
    // Bytes that are no executable format at all: the exec itself fails.
    let junk = dir.path().join("crun");
    std::fs::write(&junk, [0x7f, b'E', b'L', b'F', 9, 9, 9, 9]).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(&mut std::fs::metadata(&junk).unwrap().permissions(), 0o755);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, findings) = check(&live("crun", &junk), &callers(&["buildkit"]));
    assert_eq!(rules(&findings), vec!["runtime/probe-failed"], "{findings:#?}");
    assert!(findings[0].message.contains("cannot run"));
}

#[test]
fn every_corpus_capture_replays() {
    let Some(dir) = corpus() else { return };
    let all = observe::load_all(&dir).unwrap();
    assert_eq!(all.len(), 5);
    for o in &all {
        let (implementation, version) = o.name.split_once('-').unwrap();
        let (checked, findings) =
            check(o, &callers(&["buildkit@0.12", "containerd@2.0", "docker@25", "podman@5", "cri-o@1.29", "conmon"]));
        assert!(checked.facts.contains(&("implementation".into(), implementation.into())), "{}: {checked:?}", o.name);
        assert!(checked.facts.iter().any(|(k, v)| k == "version" && v.starts_with(version)), "{}: {checked:?}", o.name);
        let keep = findings.iter().any(|f| f.rule.id == "runtime/missing-flag" && f.message.contains("run --keep"));
        // Only crun before 1.15 rejects run --keep.
        assert_eq!(keep, o.name == "crun-1.8.1", "{}: {findings:#?}", o.name);
        let no_features = findings.iter().any(|f| f.rule.id == "runtime/no-features");
        assert_eq!(no_features, o.name == "crun-1.8.1", "{}", o.name);
        // The containerd restore path: runc accepts -no-subreaper, crun never does.
        let restore = findings.iter().any(|f| f.rule.id == "runtime/missing-flag" && f.message.contains("restore"));
        assert_eq!(restore, implementation == "crun", "{}: {findings:#?}", o.name);
        // runc before 1.2 has no idmapped mounts for containerd 2.0 user namespaces.
        let idmap = findings.iter().any(|f| {
            f.rule.id == "runtime/missing-feature"
                && f.message.contains("idmap")
                && f.severity == shipcheck_report::Severity::Error
        });
        assert_eq!(idmap, o.name == "runc-1.1.5", "{}: {findings:#?}", o.name);
    }
}

#[test]
fn recordings_round_trip() {
    let Some(dir) = corpus() else { return };
    let out = tempfile::tempdir().unwrap();
    for o in observe::load_all(&dir).unwrap() {
        let target = out.path().join(&o.name);
        observe::save(&o, &target).unwrap();
        let back = observe::load(&target).unwrap();
        assert_eq!(back.version.stdout, o.version.stdout);
        assert_eq!(back.features.exit, o.features.exit);
        assert_eq!(back.probes.keys().collect::<Vec<_>>(), o.probes.keys().collect::<Vec<_>>());
        for (k, v) in &o.probes {
            assert_eq!(back.probes[k].exit, v.exit, "{k}");
        }
        let c = callers(&["buildkit@0.12", "containerd@2.0"]);
        let a: Vec<String> = check(&o, &c).1.iter().map(|f| f.message.clone()).collect();
        let b: Vec<String> = check(&back, &c).1.iter().map(|f| f.message.clone()).collect();
        assert_eq!(a, b, "{}", o.name);
    }
    assert!(observe::load(out.path()).unwrap_err().to_string().contains("expected version.txt"));
}

/// No probe can see a flag that is parsed and ignored; the data knows youki's `run --keep`.
/// youki is not packaged in Debian, so this stands in for it: a script that answers like youki
/// (version line, clap-style rejection of unknown flags) and accepts `run --keep`.
#[test]
fn youki_keep_is_accepted_but_reported_as_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let youki = script(
        dir.path(),
        "youki",
        "#!/bin/sh\ncase \"$*\" in\n  --version) echo 'youki version 0.3.3'; echo 'commit: 0.3.3-0'; exit 0;;\n  *--bogus-flag*) echo \"error: unexpected argument '--bogus-flag' found\" >&2; exit 2;;\n  features) echo '{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.0.2-dev\"}'; exit 0;;\n  *) echo 'Usage: youki'; exit 0;;\nesac\n",
    );
    let (checked, findings) = check(&live("youki", &youki), &callers(&["buildkit@0.12"]));
    assert!(checked.facts.contains(&("implementation".into(), "youki".into())));
    assert_eq!(rules(&findings), vec!["runtime/ignored-flag"], "{findings:#?}");
    assert!(findings[0].message.contains("accepts `run --keep` but ignores it"));
}
