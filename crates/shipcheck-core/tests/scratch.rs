//! Scratch paths: removed on drop, on SIGINT/SIGTERM (for real: a child process is killed with
//! `kill`), and when a dead run left them; and the directory handle refuses to escape.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use shipcheck_core::scratch::{self, Dir, Scratch};

const CHILD: &str = "SHIPCHECK_SCRATCH_CHILD_DIR";

/// Not a test on its own: the body of the child process the signal tests start (this same
/// test binary, filtered to this function). It registers a scratch file and a scratch
/// directory, says where they are, and waits to be killed.
#[test]
fn signal_child() {
    let Some(dir) = std::env::var_os(CHILD) else { return };
    scratch::install_signal_cleanup().unwrap();
    let out = Dir::open(Path::new(&dir)).unwrap();
    let (file, mut f) = out.scratch_file().unwrap();
    std::io::Write::write_all(&mut f, &[7u8; 4096]).unwrap();
    let (tree, sub) = out.scratch_dir(0o700).unwrap();
    sub.create_dir("blobs").unwrap().create_new("part").unwrap();
    println!("READY {} {}", file.path().display(), tree.path().display());
    // Bounded, so that a parent that never signals cannot leave it behind.
    std::thread::sleep(std::time::Duration::from_secs(60));
    panic!("no signal came within 60 s");
}

/// Starts the child, kills it with `signal` through kill(1), and returns its exit code and the
/// scratch paths it had made.
fn kill_child(signal: &str) -> (Option<i32>, Vec<PathBuf>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["signal_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // libtest prints `test signal_child ... ` before the test's own output, on the same line.
    let ready = lines.by_ref().map(Result::unwrap).find(|l| l.contains("READY ")).expect("the child got ready");
    let paths: Vec<PathBuf> = ready.split("READY ").nth(1).unwrap().split(' ').map(PathBuf::from).collect();
    assert!(paths.iter().all(|p| p.exists()), "{paths:?}");
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    (code, paths, dir)
}

#[test]
fn sigterm_removes_scratch_and_exits_143() {
    let (code, paths, dir) = kill_child("-TERM");
    assert_eq!(code, Some(143));
    for p in &paths {
        assert!(!p.exists(), "{} survived SIGTERM", p.display());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn sigint_removes_scratch_and_exits_130() {
    let (code, paths, _dir) = kill_child("-INT");
    assert_eq!(code, Some(130));
    assert!(paths.iter().all(|p| !p.exists()));
}

#[test]
fn drop_removes_and_keep_keeps() {
    let t = tempfile::tempdir().unwrap();
    let out = Dir::open(t.path()).unwrap();
    let (s, _f) = out.scratch_file().unwrap();
    let path = s.path().to_path_buf();
    assert!(scratch::registered().contains(&path));
    drop(s);
    assert!(!path.exists());
    assert!(!scratch::registered().contains(&path));

    let (s, _d) = out.scratch_dir(0o700).unwrap();
    let kept = s.keep();
    assert!(kept.is_dir());
    assert!(!scratch::registered().contains(&kept));
}

/// A pid that no process has now: a child that has been waited for.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    pid
}

#[test]
fn stale_scratch_of_dead_runs_is_removed_and_nothing_else() {
    let t = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    let dead = dead_pid();
    let d = t.path();
    // A dead run's file, and its directory with a link out inside.
    std::fs::write(d.join(format!(".shipcheck-tmp-{dead}-0123456789ab")), "x").unwrap();
    let tree = d.join(format!(".shipcheck-tmp-{dead}-abcdefghijkl"));
    std::fs::create_dir(&tree).unwrap();
    symlink(outside.path(), tree.join("out")).unwrap();
    symlink(&victim, tree.join("victim")).unwrap();
    // A dead run's name that is a link: the link goes, not what it points to.
    symlink(outside.path(), d.join(format!(".shipcheck-tmp-{dead}-zzzzzzzzzzzz"))).unwrap();
    // Kept: live pids (this one, init), names that do not match exactly.
    let live = [
        format!(".shipcheck-tmp-{}-0123456789ab", std::process::id()),
        ".shipcheck-tmp-1-0123456789ab".to_string(),
        format!(".shipcheck-tmp-{dead}-short"),
        format!(".shipcheck-tmp-{dead}-0123456789ab.bak"),
        format!("shipcheck-tmp-{dead}-0123456789ab"),
        ".shipcheck-copy-abc123".to_string(),
        "image.tar".to_string(),
    ];
    for name in &live {
        std::fs::write(d.join(name), "live").unwrap();
    }
    assert_eq!(scratch::remove_stale(d).unwrap(), 3);
    let mut left: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    let mut want = live.to_vec();
    want.sort();
    assert_eq!(left, want);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

#[test]
fn directory_handle_does_not_follow_links() {
    let t = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = Dir::open(t.path()).unwrap();
    symlink(outside.path(), t.path().join("blobs")).unwrap();
    symlink(outside.path().join("new"), t.path().join("file")).unwrap();
    // A link where a directory is expected is refused, not entered.
    assert!(root.create_dir("blobs").is_err());
    assert!(root.create_dirs("blobs/sha256").is_err());
    // A dangling link where a new file goes is not written through.
    assert!(root.create_new("file").is_err());
    assert!(!outside.path().join("new").exists());
    // Renames refuse to replace unless asked.
    root.write_atomic("a", b"1", false).unwrap();
    let e = root.write_atomic("a", b"2", false).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    root.write_atomic("a", b"3", true).unwrap();
    assert_eq!(std::fs::read(t.path().join("a")).unwrap(), b"3");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // No scratch file is left by the refused write.
    let names: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let _ = Scratch::reserve(t.path()).unwrap();
}
