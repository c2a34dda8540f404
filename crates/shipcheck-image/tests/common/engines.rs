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
        Daemons::start_with("")
    }

    /// [`Daemons::start`], with each containerd namespace's content kept apart
    /// (`content_sharing_policy = "isolated"`): a blob that one namespace imported is not
    /// taken as present in another, so every import reads and checks the archive's own bytes.
    pub(crate) fn start_isolated() -> Daemons {
        Daemons::start_with("[plugins.\"io.containerd.metadata.v1.bolt\"]\n  content_sharing_policy = \"isolated\"\n")
    }

    /// The daemons, with `containerd_extra` appended to containerd's configuration.
    fn start_with(containerd_extra: &str) -> Daemons {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let config = format!(
            "version = 2\nroot = \"{0}/ctd-root\"\nstate = \"{0}/ctd-state\"\n[grpc]\n  address = \"{0}/containerd.sock\"\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable_tcp_service = true\n{containerd_extra}",
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

    /// `ctr images import --all-platforms`: the content of every platform, not only the host's.
    pub(crate) fn load_ctr_all_platforms(&self, archive: &Path, ns: &str) -> Observed {
        let out = self
            .ctr(ns)
            .args(["images", "import", "--all-platforms", "--snapshotter", "native"])
            .arg(archive)
            .output()
            .unwrap();
        self.ctr_observed(out, ns)
    }

    /// The blobs of namespace `ns` that its images keep: present in the content store and
    /// reachable from an image's target through containerd's `gc.ref.content` labels. Blobs
    /// an import wrote but no image references (another platform's, without
    /// `--all-platforms`) are left out: the garbage collector removes them, sooner or later.
    pub(crate) fn ctr_kept_content(&self, ns: &str) -> Vec<String> {
        let listing = self.ctr(ns).args(["content", "ls"]).output().unwrap();
        let mut labels = std::collections::BTreeMap::new();
        for line in String::from_utf8_lossy(&listing.stdout).lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').map(str::trim).filter(|c| !c.is_empty()).collect();
            if let (Some(digest), Some(l)) = (cols.first(), cols.last()) {
                labels.insert(digest.to_string(), l.to_string());
            }
        }
        let images = self.ctr(ns).args(["images", "ls", "-q"]).output().unwrap();
        let mut pending: Vec<String> = Vec::new();
        for name in String::from_utf8_lossy(&images.stdout).split_whitespace() {
            let out = self.ctr(ns).args(["images", "ls", &format!("name=={name}")]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            pending.extend(text.lines().skip(1).filter_map(|l| l.split_whitespace().nth(2).map(String::from)));
        }
        let mut kept = Vec::new();
        while let Some(d) = pending.pop() {
            let Some(l) = labels.get(&d) else { continue };
            if kept.contains(&d) {
                continue;
            }
            kept.push(d);
            for kv in l.split(',') {
                if let Some((k, v)) = kv.split_once('=') {
                    if k.starts_with("containerd.io/gc.ref.content") {
                        pending.push(v.to_string());
                    }
                }
            }
        }
        kept.sort();
        kept
    }

    /// The platforms (`linux/amd64`) of the images Docker lists, each once.
    pub(crate) fn docker_platforms(&self) -> Vec<String> {
        let ids = self.docker().args(["images", "-q", "--no-trunc"]).output().unwrap();
        let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout).split_whitespace().map(String::from).collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let out = self.docker().args(["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}"]).args(&ids).output();
        distinct_lines(&out.unwrap().stdout)
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

/// `podman load -i PATH` (an archive, or a layout directory) into a private store, with its
/// whole error: podman tries one transport after another and lists why each failed, one line
/// each (`* oci-archive: …`), so the last line alone is only the last transport's.
pub(crate) fn load_podman_listed(path: &Path, state: &Path) -> Observed {
    let out = podman(state, &["load", "-i", path.to_str().unwrap()]);
    let error = error_text(&out.stderr);
    Observed { error, ..podman_observed(out, state) }
}

/// An engine's error: from its `Error:` line to the end, lines joined with ` `; without one,
/// the last line.
pub(crate) fn error_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    match lines.iter().position(|l| l.starts_with("Error:")) {
        Some(i) => lines[i..].join(" "),
        None => last_line(bytes),
    }
}

/// The platforms (`linux/amd64`) of the images in a private podman store, each once.
pub(crate) fn podman_platforms(state: &Path) -> Vec<String> {
    let ids = podman(state, &["images", "-q", "--no-trunc"]);
    let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout).split_whitespace().map(String::from).collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let mut args = vec!["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}"];
    args.extend(ids.iter().map(String::as_str));
    distinct_lines(&podman(state, &args).stdout)
}

/// buildah with a private store under `state`.
fn buildah(state: &Path, args: &[&str]) -> std::process::Output {
    Command::new("buildah")
        .arg("--root")
        .arg(state.join("root"))
        .arg("--runroot")
        .arg(state.join("run"))
        .args(["--storage-driver", "vfs"])
        .args(args)
        .output()
        .unwrap()
}

/// `buildah pull SOURCE` (`docker-archive:FILE`, `oci-archive:FILE`) into a private store,
/// with the names and image IDs the store lists afterwards (also after a failed pull).
pub(crate) fn pull_buildah_listed(source: &str, state: &Path) -> Observed {
    let out = buildah(state, &["pull", "--quiet", source]);
    let listing = buildah(state, &["images", "--no-trunc", "--format", "{{.Name}}:{{.Tag}} {{.ID}}"]);
    // buildah pads the columns even with --format.
    let text: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let (names, ids) = listing_pairs(&text.join("\n"));
    Observed { loaded: out.status.success(), names, ids, error: error_text(&out.stderr) }
}

/// The platforms (`linux/amd64`) of the images in a private buildah store, each once.
pub(crate) fn buildah_platforms(state: &Path) -> Vec<String> {
    let ids = buildah(state, &["images", "-q", "--no-trunc"]);
    let mut out = Vec::new();
    for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
        let p =
            buildah(state, &["inspect", "--type", "image", "--format", "{{.OCIv1.OS}}/{{.OCIv1.Architecture}}", id]);
        out.extend(distinct_lines(&p.stdout));
    }
    out.sort();
    out.dedup();
    out
}

/// `skopeo copy SOURCE oci:DIR` (`docker-archive:FILE`, `oci-archive:FILE`, `oci:LAYOUT`),
/// with what the written layout holds afterwards (also after a failed copy): the
/// `ref.name`s of index.json as names, the config digests of its images as IDs.
pub(crate) fn copy_skopeo_listed(source: &str, dir: &Path) -> Observed {
    let out = Command::new("skopeo")
        .args(["copy", "--quiet", source])
        .arg(format!("oci:{}", dir.display()))
        .output()
        .unwrap();
    let (names, ids) = layout_listing(dir);
    Observed { loaded: out.status.success(), names, ids, error: error_text(&out.stderr) }
}

/// `skopeo copy oci:LAYOUT oci:DIR`: reads every blob of the layout directory's image.
pub(crate) fn copy_skopeo_layout(layout: &Path, dir: &Path) -> Observed {
    copy_skopeo_listed(&format!("oci:{}", layout.display()), dir)
}

/// The images of an OCI layout directory: (platform, config digest) of each manifest whose
/// config and layers are all present, index.json's nested indexes followed.
fn layout_images(dir: &Path) -> Vec<(String, String)> {
    let read = |path: std::path::PathBuf| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    };
    let blob = |d: &str| dir.join("blobs").join(d.replacen(':', "/", 1));
    let mut pending: Vec<serde_json::Value> =
        read(dir.join("index.json")).and_then(|i| i["manifests"].as_array().cloned()).unwrap_or_default();
    let mut out = Vec::new();
    while let Some(desc) = pending.pop() {
        let Some(doc) = desc["digest"].as_str().and_then(|d| read(blob(d))) else { continue };
        if let Some(children) = doc["manifests"].as_array() {
            pending.extend(children.iter().cloned());
            continue;
        }
        let Some(config_digest) = doc["config"]["digest"].as_str() else { continue };
        let Some(config) = read(blob(config_digest)) else { continue };
        let layers = doc["layers"].as_array().cloned().unwrap_or_default();
        if layers.iter().all(|l| l["digest"].as_str().is_some_and(|d| blob(d).is_file())) {
            let platform =
                format!("{}/{}", config["os"].as_str().unwrap_or("?"), config["architecture"].as_str().unwrap_or("?"));
            out.push((platform, config_digest.to_string()));
        }
    }
    out
}

/// What an OCI layout directory lists: the `ref.name`s of index.json, and its images' config
/// digests.
fn layout_listing(dir: &Path) -> (Vec<String>, Vec<String>) {
    let index: Option<serde_json::Value> =
        std::fs::read(dir.join("index.json")).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let mut names: Vec<String> = index
        .iter()
        .flat_map(|i| i["manifests"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d["annotations"]["org.opencontainers.image.ref.name"].as_str().map(String::from))
        .collect();
    let mut ids: Vec<String> = layout_images(dir).into_iter().map(|(_, id)| id).collect();
    names.sort();
    names.dedup();
    ids.sort();
    ids.dedup();
    (names, ids)
}

/// The platforms of the complete images in an OCI layout directory, each once.
pub(crate) fn layout_platforms(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = layout_images(dir).into_iter().map(|(p, _)| p).collect();
    out.sort();
    out.dedup();
    out
}

/// Non-empty lines, trimmed, sorted, each once.
fn distinct_lines(bytes: &[u8]) -> Vec<String> {
    let mut out: Vec<String> =
        String::from_utf8_lossy(bytes).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    out.sort();
    out.dedup();
    out
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

/// A prediction's names and image IDs as the engines list them: sorted, each once (IDs shipcheck
/// does not compute left out).
pub(crate) fn listed(pr: &shipcheck_image::engine::Prediction) -> (Vec<String>, Vec<String>) {
    let mut names = pr.names.clone();
    names.sort();
    names.dedup();
    let mut ids: Vec<String> = pr.ids.iter().flatten().cloned().collect();
    ids.sort();
    ids.dedup();
    (names, ids)
}
