//! The real engines from Debian, for ground-truth tests: dockerd 20.10 (vfs, no iptables, no
//! bridge) and containerd 1.6 (native snapshotter) started with private state on unix sockets
//! in a temp dir, and podman 4.3, buildah 1.28 and skopeo 1.9 with private stores. Each can
//! load an archive or pull from a (loopback, plain HTTP) registry, and reports what it did:
//! loaded or not, the names and image IDs it lists, its last error line.
//!
//! Shared by `shipcheck-image`'s engines test and `shipcheck-registry`'s pull test (which
//! includes this file with `#[path]`), so both compare predictions with the same engines.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn available() -> bool {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let tools = ["dockerd", "docker", "containerd", "ctr", "podman", "skopeo", "buildah"].iter().all(|t| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {t}"))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    if !(root && tools) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "root, dockerd, containerd and podman are required under CI=true"
        );
        eprintln!("skipping: needs root and docker.io, containerd, podman (scripts/install-test-deps.sh)");
    }
    root && tools
}

/// What an engine did with an archive.
#[derive(Debug, PartialEq)]
pub(crate) struct Observed {
    pub loaded: bool,
    pub names: Vec<String>,
    pub ids: Vec<String>,
    pub error: String,
}

pub(crate) struct Daemons {
    pub dir: tempfile::TempDir,
    containerd: Child,
    dockerd: Child,
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for c in [&mut self.dockerd, &mut self.containerd] {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && c.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) fn wait_for(sock: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Daemons {
    pub(crate) fn start() -> Daemons {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let config = format!(
            "version = 2\nroot = \"{0}/ctd-root\"\nstate = \"{0}/ctd-state\"\n[grpc]\n  address = \"{0}/containerd.sock\"\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable_tcp_service = true\n",
            d.display()
        );
        std::fs::write(d.join("containerd.toml"), config).unwrap();
        let containerd = Command::new("containerd")
            .arg("--config")
            .arg(d.join("containerd.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let dockerd = Command::new("dockerd")
            .args(["--storage-driver=vfs", "--iptables=false", "--bridge=none"])
            .arg(format!("--data-root={}/docker-data", d.display()))
            .arg(format!("--exec-root={}/docker-exec", d.display()))
            .arg(format!("--pidfile={}/docker.pid", d.display()))
            .arg(format!("--host=unix://{}/docker.sock", d.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(&d.join("containerd.sock"), "containerd");
        wait_for(&d.join("docker.sock"), "dockerd");
        // dockerd creates the socket before it serves: wait for an answer.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !Command::new("docker")
            .arg("-H")
            .arg(format!("unix://{}/docker.sock", d.display()))
            .arg("info")
            .output()
            .unwrap()
            .status
            .success()
        {
            assert!(Instant::now() < deadline, "dockerd does not answer");
            std::thread::sleep(Duration::from_millis(200));
        }
        Daemons { dir, containerd, dockerd }
    }

    pub(crate) fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.arg("-H").arg(format!("unix://{}/docker.sock", self.dir.path().display()));
        c
    }

    pub(crate) fn ctr(&self, ns: &str) -> Command {
        let mut c = Command::new("ctr");
        c.arg("--address").arg(self.dir.path().join("containerd.sock")).args(["-n", ns]);
        c
    }

    /// Empties the Docker store: removes what the previous shape loaded.
    fn docker_empty(&self) {
        let ids = self.docker().args(["images", "-aq"]).output().unwrap();
        for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
            let _ = self.docker().args(["rmi", "-f", id]).output();
        }
    }

    pub(crate) fn load_docker(&self, archive: &Path) -> Observed {
        self.docker_empty();
        let out = self.docker().arg("load").arg("-i").arg(archive).output().unwrap();
        self.docker_observed(out)
    }

    /// `docker pull` (dockerd reaches loopback registries over plain HTTP by default).
    pub(crate) fn pull_docker(&self, reference: &str) -> Observed {
        self.docker_empty();
        let out = self.docker().args(["pull", "--quiet", reference]).output().unwrap();
        self.docker_observed(out)
    }

    fn docker_observed(&self, out: std::process::Output) -> Observed {
        let listing = self
            .docker()
            .args(["images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
            .output()
            .unwrap();
        let (names, ids) = listing_pairs(&String::from_utf8_lossy(&listing.stdout));
        Observed { loaded: out.status.success(), names, ids, error: last_line(&out.stderr) }
    }

    pub(crate) fn load_ctr(&self, archive: &Path, ns: &str) -> Observed {
        let out = self.ctr(ns).args(["images", "import", "--snapshotter", "native"]).arg(archive).output().unwrap();
        self.ctr_observed(out, ns)
    }

    /// `ctr images pull --plain-http`, unpacked for the host's platform.
    pub(crate) fn pull_ctr(&self, reference: &str, ns: &str) -> Observed {
        let out = self
            .ctr(ns)
            .args(["images", "pull", "--plain-http", "--snapshotter", "native", reference])
            .output()
            .unwrap();
        self.ctr_observed(out, ns)
    }

    fn ctr_observed(&self, out: std::process::Output, ns: &str) -> Observed {
        let listing = self.ctr(ns).args(["images", "ls"]).output().unwrap();
        let text = String::from_utf8_lossy(&listing.stdout);
        let mut names = Vec::new();
        let mut ids = Vec::new();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() >= 3 {
                names.push(cols[0].to_string());
                ids.push(cols[2].to_string());
            }
        }
        // Each digest once, sorted, as `listing_pairs` has them (names come sorted already).
        ids.sort();
        ids.dedup();
        Observed { loaded: out.status.success(), names, ids, error: last_line(&out.stderr) }
    }
}

/// podman with a private store under `state`.
fn podman(state: &Path, args: &[&str]) -> std::process::Output {
    std::fs::create_dir_all(state.join("tmp")).unwrap();
    Command::new("podman")
        .arg("--root")
        .arg(state.join("root"))
        .arg("--runroot")
        .arg(state.join("run"))
        .arg("--tmpdir")
        .arg(state.join("tmp"))
        .args(["--storage-driver", "vfs", "--events-backend", "file"])
        .args(args)
        .output()
        .unwrap()
}

fn podman_observed(out: std::process::Output, state: &Path) -> Observed {
    let listing = podman(state, &["images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    let (names, ids) = listing_pairs(&String::from_utf8_lossy(&listing.stdout));
    Observed { loaded: out.status.success(), names, ids, error: last_line(&out.stderr) }
}

pub(crate) fn load_podman(archive: &Path, state: &Path) -> Observed {
    podman_observed(podman(state, &["load", "-i", archive.to_str().unwrap()]), state)
}

/// `podman pull` from a plain-HTTP registry into a private store.
pub(crate) fn pull_podman(reference: &str, state: &Path) -> Observed {
    podman_observed(podman(state, &["pull", "--quiet", "--tls-verify=false", reference]), state)
}

/// `buildah pull docker://REF` from a plain-HTTP registry into a private store.
pub(crate) fn pull_buildah_registry(reference: &str, state: &Path) -> Observed {
    let out = Command::new("buildah")
        .arg("--root")
        .arg(state.join("root"))
        .arg("--runroot")
        .arg(state.join("run"))
        .args(["--storage-driver", "vfs", "pull", "--quiet", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .unwrap();
    Observed { loaded: out.status.success(), names: Vec::new(), ids: Vec::new(), error: last_line(&out.stderr) }
}

/// `skopeo copy docker://REF oci:DIR` from a plain-HTTP registry.
pub(crate) fn copy_skopeo_registry(reference: &str, dir: &Path) -> Observed {
    let out = Command::new("skopeo")
        .args(["copy", "--quiet", "--src-tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .arg(format!("oci:{}", dir.display()))
        .output()
        .unwrap();
    Observed { loaded: out.status.success(), names: Vec::new(), ids: Vec::new(), error: last_line(&out.stderr) }
}

/// `buildah pull docker-archive:FILE` into a private store.
pub(crate) fn pull_buildah(archive: &Path, state: &Path) -> Observed {
    let out = Command::new("buildah")
        .arg("--root")
        .arg(state.join("root"))
        .arg("--runroot")
        .arg(state.join("run"))
        .args(["--storage-driver", "vfs", "pull", "--quiet"])
        .arg(format!("docker-archive:{}", archive.display()))
        .output()
        .unwrap();
    Observed { loaded: out.status.success(), names: Vec::new(), ids: Vec::new(), error: last_line(&out.stderr) }
}

/// `skopeo copy TRANSPORT:FILE oci:DIR`: reads every blob of the archive's image.
pub(crate) fn copy_skopeo(transport: &str, archive: &Path, dir: &Path) -> Observed {
    let out = Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("{transport}:{}", archive.display()))
        .arg(format!("oci:{}", dir.display()))
        .output()
        .unwrap();
    Observed { loaded: out.status.success(), names: Vec::new(), ids: Vec::new(), error: last_line(&out.stderr) }
}

pub(crate) fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

/// `name id` lines: names without `<none>`, IDs with a `sha256:` prefix, each once.
pub(crate) fn listing_pairs(text: &str) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut ids = Vec::new();
    for line in text.lines() {
        let Some((name, id)) = line.trim().rsplit_once(' ') else { continue };
        if name != "<none>:<none>" && !names.contains(&name.to_string()) {
            names.push(name.to_string());
        }
        let id = if id.starts_with("sha256:") { id.to_string() } else { format!("sha256:{id}") };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    names.sort();
    ids.sort();
    (names, ids)
}
