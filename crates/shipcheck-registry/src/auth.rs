//! Credentials and the distribution auth challenge.
//!
//! Credentials come, in this order, from `SHIPCHECK_REGISTRY_USERNAME`/`_PASSWORD`, the file
//! given with `--authfile`, containers' auth.json (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json`), and Docker's config.json (`$DOCKER_CONFIG` or `~/.docker`:
//! `credHelpers`, `credsStore`, `auths`). Helpers speak the docker-credential-helpers protocol
//! (`docker-credential-NAME get`, the server on stdin, JSON on stdout). Secrets live only in
//! `Credential` and in request headers; `Debug` and every error redact them.
//!
//! In `auths`, a key may name a namespace or repository (`registry.example/org/repo`): the most
//! specific key that matches the repository wins over the host's (containers-auth.json(5)). An
//! entry's `identitytoken` is an OAuth2 refresh token: it is kept as Docker's credential
//! helpers return one (user `<token>`, the token as the secret), and the client trades it at
//! the token endpoint with `POST grant_type=refresh_token` (distribution's OAuth2 token spec).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;

#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub secret: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential {{ username: {:?}, secret: <redacted> }}", self.username)
    }
}

/// The user name that marks a credential's secret as an identity (refresh) token, as Docker's
/// credential helpers return one.
pub const IDENTITY_TOKEN_USER: &str = "<token>";

impl Credential {
    /// Whether the secret is an identity token (an OAuth2 refresh token), not a password.
    pub fn is_identity_token(&self) -> bool {
        self.username == IDENTITY_TOKEN_USER
    }

    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.secret);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer { realm: String, service: Option<String>, scope: Option<String> },
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    let mut map = BTreeMap::new();
    let mut rest = params;
    while !rest.trim().is_empty() {
        let (key, after) = rest.trim_start_matches([',', ' ']).split_once('=')?;
        let (value, next) = match after.strip_prefix('"') {
            Some(q) => {
                let end = q.find('"')?;
                (&q[..end], &q[end + 1..])
            }
            None => after.split_once(',').map_or((after, ""), |(v, n)| (v, n)),
        };
        map.insert(key.trim().to_ascii_lowercase(), value.to_string());
        rest = next;
    }
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => Some(Challenge::Bearer {
            realm: map.remove("realm")?,
            service: map.remove("service"),
            scope: map.remove("scope"),
        }),
        _ => None,
    }
}

/// Finds the credential for `repository` in `registry` (a host with optional port, `docker.io`
/// for Docker Hub), reading `authfile` first when given.
pub fn lookup(registry: &str, repository: &str, authfile: Option<&std::path::Path>) -> Option<Credential> {
    if let (Ok(u), Ok(p)) = (std::env::var("SHIPCHECK_REGISTRY_USERNAME"), std::env::var("SHIPCHECK_REGISTRY_PASSWORD"))
    {
        return Some(Credential { username: u, secret: p });
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut files: Vec<PathBuf> = authfile.into_iter().map(PathBuf::from).collect();
    if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE") {
        files.push(f.into());
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(d).join("containers/auth.json"));
    }
    if let Some(h) = &home {
        files.push(h.join(".config/containers/auth.json"));
    }
    let docker = std::env::var_os("DOCKER_CONFIG").map(PathBuf::from).or_else(|| home.map(|h| h.join(".docker")));
    if let Some(d) = docker {
        files.push(d.join("config.json"));
    }
    files.iter().find_map(|f| {
        let text = std::fs::read_to_string(f).ok().filter(|t| t.len() < 1 << 20)?;
        from_config_for(&text, registry, repository, &run_helper)
    })
}

/// The keys a registry may be stored under in `auths`.
fn keys(registry: &str) -> Vec<String> {
    if registry == "docker.io" {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ]
    } else {
        vec![
            registry.to_string(),
            format!("https://{registry}"),
            format!("http://{registry}"),
            format!("https://{registry}/v1/"),
        ]
    }
}

/// Reads a config.json / auth.json text for `registry`; `helper(name, server)` runs a credential helper.
pub fn from_config(
    text: &str,
    registry: &str,
    helper: &dyn Fn(&str, &str) -> Option<Credential>,
) -> Option<Credential> {
    from_config_for(text, registry, "", helper)
}

/// [`from_config`] for one repository: `auths` keys naming it or a namespace above it come
/// first, most specific first (`reg/a/b/c`, `reg/a/b`, `reg/a`), then the registry's own keys.
pub fn from_config_for(
    text: &str,
    registry: &str,
    repository: &str,
    helper: &dyn Fn(&str, &str) -> Option<Credential>,
) -> Option<Credential> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let keys = keys(registry);
    let mut scoped: Vec<String> = Vec::new();
    let mut path = repository;
    while !path.is_empty() {
        scoped.push(format!("{registry}/{path}"));
        path = path.rsplit_once('/').map_or("", |(p, _)| p);
    }
    if let Some(helpers) = v.get("credHelpers").and_then(|h| h.as_object()) {
        for k in &keys {
            if let Some(name) = helpers.get(k).and_then(|n| n.as_str()) {
                return helper(name, k);
            }
        }
    }
    if let Some(auths) = v.get("auths").and_then(|a| a.as_object()) {
        for k in scoped.iter().chain(&keys) {
            let Some(entry) = auths.get(k) else { continue };
            if let Some(token) = entry.get("identitytoken").and_then(|t| t.as_str()).filter(|t| !t.is_empty()) {
                return Some(Credential { username: IDENTITY_TOKEN_USER.into(), secret: token.to_string() });
            }
            if let Some(encoded) = entry.get("auth").and_then(|a| a.as_str()).filter(|a| !a.is_empty()) {
                let raw = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
                let raw = String::from_utf8(raw).ok()?;
                let (u, p) = raw.split_once(':')?;
                return Some(Credential { username: u.to_string(), secret: p.to_string() });
            }
            if let (Some(u), Some(p)) =
                (entry.get("username").and_then(|x| x.as_str()), entry.get("password").and_then(|x| x.as_str()))
            {
                return Some(Credential { username: u.to_string(), secret: p.to_string() });
            }
        }
    }
    let store = v.get("credsStore").and_then(|s| s.as_str())?;
    keys.iter().find_map(|k| helper(store, k))
}

/// Runs `docker-credential-NAME get` with the server on stdin (5 s at most).
fn run_helper(name: &str, server: &str) -> Option<Credential> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return None;
    }
    let mut child = Command::new(format!("docker-credential-{name}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() || out.stdout.len() > 64 << 10 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(Credential {
        username: v.get("Username")?.as_str()?.to_string(),
        secret: v.get("Secret")?.as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into())
            })
        );
        assert_eq!(parse_challenge(r#"Basic realm="basic-realm""#), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn config_sources_in_order() {
        let none = |_: &str, _: &str| None;
        let cfg =
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},"ghcr.io":{"username":"a","password":"b"}}}"#;
        assert_eq!(from_config(cfg, "docker.io", &none).unwrap().secret, "p");
        assert_eq!(from_config(cfg, "ghcr.io", &none).unwrap().username, "a");
        assert_eq!(from_config(cfg, "quay.io", &none), None);
        let helper = |name: &str, server: &str| Some(Credential { username: name.into(), secret: server.into() });
        let cfg = r#"{"credHelpers":{"ghcr.io":"gh"},"credsStore":"desktop","auths":{"ghcr.io":{"auth":"dTpw"}}}"#;
        assert_eq!(from_config(cfg, "ghcr.io", &helper).unwrap().username, "gh");
        assert_eq!(from_config(cfg, "quay.io", &helper).unwrap().username, "desktop");
        let shown = format!("{:?}", Credential { username: "u".into(), secret: "hunter2".into() });
        assert!(!shown.contains("hunter2"));
    }

    /// containers-auth.json(5): a namespace or repository key beats the host's; the most
    /// specific one that matches wins, and one for another repository is not used.
    #[test]
    fn the_most_specific_auths_key_wins() {
        let none = |_: &str, _: &str| None;
        let cfg = r#"{"auths":{
            "reg.example":{"username":"host","password":"p"},
            "reg.example/org":{"username":"org","password":"p"},
            "reg.example/org/team/app":{"username":"app","password":"p"},
            "reg.example/other":{"username":"other","password":"p"}}}"#;
        let user = |repo: &str| from_config_for(cfg, "reg.example", repo, &none).map(|c| c.username);
        assert_eq!(user("org/team/app").as_deref(), Some("app"));
        assert_eq!(user("org/team/tool").as_deref(), Some("org"));
        assert_eq!(user("org").as_deref(), Some("org"));
        assert_eq!(user("organisation/x").as_deref(), Some("host"));
        assert_eq!(user("").as_deref(), Some("host"));
        assert_eq!(from_config_for(cfg, "reg.example.evil", "org/team/app", &none), None);
    }

    #[test]
    fn an_identitytoken_is_a_refresh_token() {
        let none = |_: &str, _: &str| None;
        let cfg = r#"{"auths":{"reg.example":{"auth":"","identitytoken":"refresh-me"}}}"#;
        let c = from_config_for(cfg, "reg.example", "org/app", &none).unwrap();
        assert!(c.is_identity_token() && c.secret == "refresh-me", "{c:?}");
    }
}
