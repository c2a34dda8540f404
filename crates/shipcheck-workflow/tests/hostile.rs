//! Hostile repositories: workflows nested far deeper than any real one, and entries of
//! `.github/workflows` that are not files (link loops, FIFOs, links to devices, directories).
//! Each must be an error or a note naming the path and why; never a crash, a hang or silence.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use shipcheck_workflow::check_workflows;

const PUSH_BUILD: &str =
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker build .\n";

/// Runs `f` on a thread with a small stack and a deadline: a recursion left in the analysis
/// overflows the stack, a blocking open of a FIFO misses the deadline.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    rx.recv_timeout(Duration::from_secs(60)).expect("the check finished in time, without a crash")
}

fn workflows_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    dir
}

/// The analysis of `root`: (workflow artifacts, invalid workflows, unreadable entries).
type Outcome = (Vec<String>, Vec<(String, String)>, Vec<(String, String)>);

fn analyze(root: &Path) -> Outcome {
    let root = root.to_path_buf();
    bounded(move || {
        let (analysis, _, unreadable) = check_workflows(&root);
        let invalid = analysis.invalid.iter().map(|(a, _, _, m)| (a.clone(), m.clone())).collect();
        (analysis.workflows.iter().map(|w| w.artifact.clone()).collect(), invalid, unreadable)
    })
}

#[test]
fn a_workflow_nested_fifty_thousand_levels_is_invalid_not_a_crash() {
    let dir = workflows_dir();
    // 100 KB: `jobs:` holding 50,000 nested block sequences.
    let deep = format!("on: push\njobs:\n  {}x\n", "- ".repeat(50_000));
    std::fs::write(dir.path().join(".github/workflows/deep.yml"), deep).unwrap();
    std::fs::write(dir.path().join(".github/workflows/ok.yml"), PUSH_BUILD).unwrap();
    let (workflows, invalid, _) = analyze(dir.path());
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert!(invalid[0].0.ends_with("deep.yml") && invalid[0].1.contains("deeper than 128 levels"), "{invalid:?}");
    assert!(workflows.iter().any(|w| w.ends_with("ok.yml")), "{workflows:?}");
}

#[test]
fn trees_at_the_depth_cap_are_walked_on_a_small_stack() {
    // A matrix, `with:` and `env:` as deep as the reader allows: every walk over them (matrix
    // expansion, expression values, drop) stays within a 512 KiB stack.
    let depth = shipcheck_workflow::yaml::MAX_DEPTH - 8;
    let value = format!("{}x{}", "[".repeat(depth.min(250)), "]".repeat(depth.min(250)));
    let deep = format!(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        p: {value}\n    env:\n      E: {value}\n    steps:\n      - run: docker build --platform ${{{{ matrix.p }}}} .\n"
    );
    let dir = workflows_dir();
    std::fs::write(dir.path().join(".github/workflows/deep.yml"), deep).unwrap();
    let (workflows, invalid, unreadable) = analyze(dir.path());
    assert!(invalid.is_empty() && unreadable.is_empty(), "{invalid:?} {unreadable:?}");
    assert_eq!(workflows.len(), 1);
}

#[test]
fn entries_that_are_not_files_are_reported_by_name() {
    let dir = workflows_dir();
    let wf = dir.path().join(".github/workflows");
    std::fs::write(wf.join("ok.yml"), PUSH_BUILD).unwrap();
    std::os::unix::fs::symlink("loop-b.yml", wf.join("loop-a.yml")).unwrap();
    std::os::unix::fs::symlink("loop-a.yml", wf.join("loop-b.yml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", wf.join("zero.yml")).unwrap();
    std::os::unix::fs::symlink("missing.yml", wf.join("dangling.yml")).unwrap();
    std::fs::create_dir(wf.join("dir.yml")).unwrap();
    let fifo = wf.join("fifo.yml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (workflows, _, unreadable) = analyze(dir.path());
    let why = |name: &str| {
        unreadable.iter().find(|(p, _)| p.ends_with(&format!("/{name}"))).map(|(_, w)| w.clone()).unwrap_or_default()
    };
    assert!(why("loop-a.yml").contains("symbolic link loop"), "{unreadable:?}");
    assert!(why("loop-b.yml").contains("symbolic link loop"), "{unreadable:?}");
    assert!(why("fifo.yml").contains("FIFO"), "{unreadable:?}");
    assert!(why("zero.yml").contains("out of the repository"), "{unreadable:?}");
    assert!(why("dangling.yml").contains("link to nothing"), "{unreadable:?}");
    assert!(why("dir.yml").contains("a directory, expected a file"), "{unreadable:?}");
    assert_eq!(unreadable.len(), 6, "{unreadable:?}");
    // The readable workflow is still checked.
    assert_eq!(workflows.len(), 1, "{workflows:?}");
}

#[test]
fn a_device_inside_the_repository_is_refused_by_type() {
    // A link inside the repository to a link to a device: resolved, it leads out; the reader
    // also refuses devices by type when one sits inside the tree (a bind-mounted checkout).
    let err = shipcheck_workflow::yaml::read_text(Path::new("/dev/zero"), 1 << 20, "a text file").unwrap_err();
    assert_eq!(err.to_string(), "a character device, expected a file");
}
