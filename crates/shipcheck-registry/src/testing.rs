//! A real registry for tests (feature `testing`): Debian's docker-registry (distribution 2.8)
//! started on a free loopback port with private storage, and images pushed to it with skopeo.
//! Used by this crate's tests and the binary's; not part of the product.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};

pub const REGISTRY: &str = "/usr/bin/docker-registry";

/// Whether docker-registry and skopeo are here. Under CI=true their absence is a failure.
pub fn available() -> bool {
    let ok = Path::new(REGISTRY).exists() && Command::new("skopeo").arg("--version").output().is_ok();
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "docker-registry and skopeo are required under CI=true");
        eprintln!("skipping: docker-registry or skopeo is not installed (scripts/install-test-deps.sh)");
    }
    ok
}

/// A docker-registry process with private storage; killed when dropped.
pub struct Registry {
    child: Child,
    pub host: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// Starts a registry on a free loopback port; `htpasswd` turns on basic auth.
    pub fn start(htpasswd: Option<&str>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let auth = match htpasswd {
            Some(h) => {
                std::fs::write(dir.path().join("htpasswd"), h).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                    dir.path().join("htpasswd").display()
                )
            }
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let child = Command::new(REGISTRY)
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(&host).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start on {host}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry { child, host, _dir: dir }
    }

    /// Pushes a generated image (one platform: an image manifest; several: an index).
    pub fn push(&self, repo_tag: &str, platforms: &[&str], creds: Option<&str>) {
        let images: Vec<ImageDraft> = platforms
            .iter()
            .map(|p| ImageDraft {
                platform: Platform::parse(p).unwrap(),
                layers: vec![LayerDraft {
                    files: vec![LayerFile::new("etc/arch", p.as_bytes().to_vec(), 0o644)],
                    compression: Compression::Gzip,
                }],
                names: vec![format!("{}/{repo_tag}", self.host)],
            })
            .collect();
        let mut draft = ArchiveDraft::new(Shape::Oci, images);
        draft.multi_platform = platforms.len() > 1;
        let layout = tempfile::tempdir().unwrap();
        draft.build().unwrap().write_dir(layout.path()).unwrap();
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--all", "--dest-tls-verify=false", "--quiet"]);
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        let out = cmd
            .arg(format!("oci:{}", layout.path().display()))
            .arg(format!("docker://{}/{repo_tag}", self.host))
            .output()
            .unwrap();
        assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// An htpasswd line for distribution's basic auth (bcrypt, as it requires).
pub fn htpasswd(user: &str, password: &str) -> String {
    format!("{user}:{}\n", bcrypt::hash(password, 4).expect("bcrypt"))
}
