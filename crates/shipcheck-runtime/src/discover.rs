//! Which runtimes to probe when none is named: the known names on PATH, and the runtimes that
//! Docker, containerd, Podman and CRI-O configuration files name, where those files exist.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub const NAMES: &[&str] = &["runc", "crun", "youki", "runsc", "krun"];

/// A runtime to probe: the name it is known by, its path, and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub path: PathBuf,
    pub found_in: String,
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Looks `name` up on `path_env` (a PATH value); a name with a slash is taken as a path.
pub fn which(name: &str, path_env: &OsStr) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    std::env::split_paths(path_env).map(|d| d.join(name)).find(|p| is_executable(p))
}

/// Reads a config file under `root`, at most 1 MiB.
fn read(root: &Path, rel: &str) -> Option<String> {
    let p = root.join(rel);
    let meta = std::fs::metadata(&p).ok()?;
    if meta.len() > 1 << 20 {
        return None;
    }
    std::fs::read_to_string(p).ok()
}

/// Runtime names or paths named by engine configuration under `root` (normally `/`).
pub fn configured(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(text) = read(root, "etc/docker/daemon.json") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(rts) = v.get("runtimes").and_then(|r| r.as_object()) {
                for (name, rt) in rts {
                    let path = rt.get("path").and_then(|p| p.as_str()).unwrap_or(name);
                    out.push((path.to_string(), format!("/etc/docker/daemon.json runtimes.{name}")));
                }
            }
            if let Some(d) = v.get("default-runtime").and_then(|d| d.as_str()) {
                out.push((d.to_string(), "/etc/docker/daemon.json default-runtime".into()));
            }
        }
    }
    if let Some(text) = read(root, "etc/containerd/config.toml") {
        for line in text.lines() {
            if let Some(v) = toml_string_value(line, "BinaryName") {
                out.push((v, "/etc/containerd/config.toml BinaryName".into()));
            }
        }
    }
    for conf in ["usr/share/containers/containers.conf", "etc/containers/containers.conf"] {
        if let Some(text) = read(root, conf) {
            if let Ok(v) = toml::from_str::<toml::Value>(&text) {
                let engine = v.get("engine");
                if let Some(rt) = engine.and_then(|e| e.get("runtime")).and_then(|r| r.as_str()) {
                    out.push((rt.to_string(), format!("/{conf} engine.runtime")));
                }
            }
        }
    }
    let mut crio = vec!["etc/crio/crio.conf".to_string()];
    if let Ok(dir) = std::fs::read_dir(root.join("etc/crio/crio.conf.d")) {
        let mut more: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| format!("etc/crio/crio.conf.d/{}", e.file_name().to_string_lossy()))
            .collect();
        more.sort();
        crio.extend(more);
    }
    for conf in crio {
        if let Some(text) = read(root, &conf) {
            for line in text.lines() {
                if let Some(v) = toml_string_value(line, "runtime_path") {
                    out.push((v, format!("/{conf} runtime_path")));
                }
            }
        }
    }
    out.retain(|(v, _)| !v.is_empty());
    out
}

/// `  key = "value"` → value (comments and other keys ignored).
fn toml_string_value(line: &str, key: &str) -> Option<String> {
    let l = line.trim();
    let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
    Some(rest.strip_prefix('"')?.split('"').next()?.to_string())
}

/// Every runtime to probe when none is named: PATH first, then configured ones, deduplicated
/// by canonical path.
pub fn candidates(root: &Path, path_env: &OsStr) -> Vec<Candidate> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut add = |name: String, path: PathBuf, found_in: String| {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            out.push(Candidate { name, path, found_in });
        }
    };
    for name in NAMES {
        if let Some(p) = which(name, path_env) {
            add(name.to_string(), p, "PATH".into());
        }
    }
    for (value, from) in configured(root) {
        let name = value.rsplit('/').next().unwrap_or(&value).to_string();
        let path = if value.starts_with('/') {
            Some(root.join(value.trim_start_matches('/')))
        } else {
            which(&value, path_env)
        };
        if let Some(p) = path.filter(|p| is_executable(p)) {
            add(name, p, from);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_engine_configs() {
        let root = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w("etc/docker/daemon.json", r#"{"runtimes":{"fast":{"path":"/opt/bin/crun"}},"default-runtime":"fast"}"#);
        w("etc/containerd/config.toml", "[plugins.x.options]\n  BinaryName = \"/usr/local/bin/runc\"\n");
        w("etc/containers/containers.conf", "[engine]\nruntime = \"crun\"\n");
        w("etc/crio/crio.conf.d/10-crun.conf", "[crio.runtime.runtimes.crun]\nruntime_path = \"/usr/bin/crun\"\n");
        let got: Vec<String> = configured(root.path()).into_iter().map(|(v, _)| v).collect();
        assert_eq!(got, vec!["/opt/bin/crun", "fast", "/usr/local/bin/runc", "crun", "/usr/bin/crun"]);
    }
}
