//! Hostile `.packit.yaml` files and spec paths: nesting far deeper than any real
//! configuration, alias bombs, a configuration that is not a file, a `specfile_path` that leads
//! out of the repository. Each is a finding or an error naming the path; never a crash, an
//! unbounded allocation or a hang.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use shipcheck_package::packit;
use shipcheck_report::Finding;

/// Runs `f` on a thread with a small stack and a deadline.
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

fn check(text: String) -> Vec<Finding> {
    bounded(move || packit::check_text(&text, ".packit.yaml"))
}

#[test]
fn ten_thousand_levels_are_invalid_config_not_a_stack_overflow() {
    // 20 KB: a job list holding 10,000 nested block sequences.
    let f = check(format!("jobs:\n  {}x\n", "- ".repeat(10_000)));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].rule.id, "package/invalid-config");
    assert!(f[0].message.contains("deeper than 128 levels"), "{}", f[0].message);
    // Nested mappings (each key one column further in).
    let mut deep = String::from("packages:\n");
    for i in 0..1_000 {
        deep.push_str(&" ".repeat(1 + i));
        deep.push_str("k:\n");
    }
    let f = check(deep);
    assert!(f[0].message.contains("deeper than"), "{}", f[0].message);
    // The other readers of the configuration take defaults.
    let deep = format!("specfile_path: a.spec\njobs:\n  {}x\n", "- ".repeat(10_000));
    let settings = bounded(move || packit::settings(&deep));
    assert_eq!(settings.specfile, None);
}

#[test]
fn a_billion_laughs_is_invalid_config_in_bounded_time() {
    // Nine levels of ten aliases each: 10^9 nodes if expanded.
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    bomb.push_str("jobs: *a9\n");
    let started = Instant::now();
    let f = check(bomb.clone());
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].rule.id, "package/invalid-config");
    assert!(f[0].message.contains("1,000,000 nodes"), "{}", f[0].message);
    // Through merge keys too.
    let merge = bomb.replace("jobs: *a9\n", "jobs:\n  - <<: {x: *a9}\n");
    let f = check(merge);
    assert!(f[0].message.contains("1,000,000 nodes"), "{}", f[0].message);
}

#[test]
fn a_configuration_that_is_a_directory_is_not_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".packit.yaml")).unwrap();
    let found = packit::find(dir.path()).expect("the directory is found, to be reported");
    let err = packit::read(&found).unwrap_err().to_string();
    assert!(err.contains(".packit.yaml") && err.contains("a directory, expected a file"), "{err}");
    // A file under a later name is what packit reads.
    std::fs::write(dir.path().join("packit.yaml"), "specfile_path: a.spec\n").unwrap();
    assert_eq!(packit::find(dir.path()), Some(dir.path().join("packit.yaml")));
}

#[test]
fn a_fifo_or_a_device_as_configuration_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join(".packit.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let path = packit::find(dir.path()).unwrap();
    let err = bounded(move || packit::read(&path).unwrap_err().to_string());
    assert!(err.contains("FIFO") && err.contains("expected a file"), "{err}");
    std::fs::remove_file(&fifo).unwrap();
    // A link to a device, or to anything outside the repository, is refused unread.
    std::os::unix::fs::symlink("/dev/zero", &fifo).unwrap();
    let link = fifo.clone();
    let err = bounded(move || packit::read(&link).unwrap_err().to_string());
    assert!(err.contains(".packit.yaml: a link that leads out of the repository"), "{err}");
    std::fs::remove_file(&fifo).unwrap();
    std::os::unix::fs::symlink(".packit.yaml", &fifo).unwrap();
    let err = packit::read(&fifo).unwrap_err().to_string();
    assert!(err.contains("a symbolic link loop, expected a file"), "{err}");
}

#[test]
fn specfile_path_outside_the_repository_is_refused_unread() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join("rpm")).unwrap();
    std::fs::write(outer.path().join("secret.spec"), "Name: secret\n").unwrap();
    std::fs::write(repo.join("rpm/app.spec"), "Name: app\n").unwrap();
    std::os::unix::fs::symlink("../../secret.spec", repo.join("rpm/link.spec")).unwrap();
    let ok = packit::spec_path(&repo, "rpm/app.spec").unwrap();
    assert!(ok.ends_with("rpm/app.spec"));
    for escape in ["../secret.spec", "/etc/passwd", "rpm/link.spec", "rpm/../../secret.spec"] {
        let err = packit::spec_path(&repo, escape).unwrap_err().to_string();
        assert!(err.contains(escape) && err.contains("outside the repository"), "{escape}: {err}");
    }
    let err = packit::spec_path(&repo, "rpm/missing.spec").unwrap_err().to_string();
    assert!(err.contains("missing.spec"), "{err}");
    // The setting itself comes from the tree, with its position.
    let s =
        packit::settings("packages:\n  app:\n    specfile_path: rpm/app.spec\n    upstream_tag_template: v{version}\n");
    assert_eq!(s.specfile.as_deref(), Some("rpm/app.spec"));
    assert_eq!(s.template_at, Some((4, 5)));
    assert!(Path::new(&ok).is_file());
}
