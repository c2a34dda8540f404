//! Image references as Docker and containers/image read them: `[host[:port]/]path[:tag][@digest]`,
//! with Docker Hub's defaults (`docker.io`, `library/`, `latest`).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry host as written, after Docker Hub's normalization (`docker.io`).
    pub registry: String,
    /// The repository path (`library/alpine`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference. Errors say what was expected.
    pub fn parse(s: &str) -> Result<Reference, String> {
        let s = s.trim().trim_start_matches("docker://");
        if s.is_empty() || s.len() > 512 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{s:?} is not an image reference: expected [registry/]repository[:tag][@digest]"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let (algo, hex) =
                    d.split_once(':').ok_or_else(|| format!("{d:?} is not a digest: expected sha256:<64 hex>"))?;
                if algo.is_empty() || hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!("{d:?} is not a digest: expected sha256:<64 hex>"));
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/', so `host:5000/repo` has none.
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_string())),
            _ => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first.to_string(), path.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
            "docker.io".into()
        } else {
            registry
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let valid_path = !repository.is_empty()
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
            });
        if !valid_path {
            return Err(format!("{s:?} is not an image reference: the repository must be lower-case path components"));
        }
        if let Some(t) = &tag {
            if t.is_empty() || t.len() > 128 || !t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
                return Err(format!("{t:?} is not a tag: expected [A-Za-z0-9_.-], at most 128"));
            }
        }
        let tag = if tag.is_none() && digest.is_none() { Some("latest".to_string()) } else { tag };
        Ok(Reference { registry, repository, tag, digest })
    }

    /// What the manifest endpoint takes: the digest if there is one, else the tag.
    pub fn reference(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// The base URL of the registry API. Loopback registries are spoken to over plain HTTP,
    /// as Docker does for 127.0.0.0/8 by default; all others over HTTPS.
    pub fn base_url(&self) -> String {
        base_url(&self.registry)
    }
}

/// The base URL of `registry` (a host with optional port, `docker.io` for Docker Hub).
pub fn base_url(registry: &str) -> String {
    let host = if registry == "docker.io" { "registry-1.docker.io" } else { registry };
    let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let loopback = bare == "localhost" || bare.starts_with("127.") || bare == "[::1]";
    format!("{}://{host}", if loopback { "http" } else { "https" })
}

/// The origin of a URL, `scheme://host[:port]` in lower case with the scheme's default port
/// dropped, or `None` when it is not an http(s) URL. Credentials go only to their registry's
/// origin: user info (`a@host`) makes an origin of its own, which matches no registry.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let authority = authority.strip_suffix(default).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_defaults() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.reference()),
            ("docker.io", "library/alpine", "latest")
        );
        assert_eq!(r.base_url(), "https://registry-1.docker.io");
        let r = Reference::parse("ipfs/kubo:v0.30.0").unwrap();
        assert_eq!(r.repository, "ipfs/kubo");
        assert_eq!(r.to_string(), "docker.io/ipfs/kubo:v0.30.0");
    }

    #[test]
    fn hosts_ports_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("127.0.0.1:5000/base/img@{d}")).unwrap();
        assert_eq!((r.registry.as_str(), r.tag.as_deref(), r.reference()), ("127.0.0.1:5000", None, d.as_str()));
        assert_eq!(r.base_url(), "http://127.0.0.1:5000");
        let r = Reference::parse("localhost:5000/x").unwrap();
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(Reference::parse("ghcr.io/o/r:1.2").unwrap().base_url(), "https://ghcr.io");
    }

    #[test]
    fn origins() {
        assert_eq!(origin("http://127.0.0.1:5000/v2/a/blobs/uploads/x?s=1").as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(origin("HTTPS://GHCR.io:443/v2/"), origin(&base_url("ghcr.io")));
        assert_ne!(origin("http://127.0.0.2:5000/x"), origin("http://127.0.0.1:5000/x"));
        assert_ne!(origin("http://evil@127.0.0.1:5000/x"), origin("http://127.0.0.1:5000/x"));
        assert_eq!(origin("ftp://x/"), None);
    }

    #[test]
    fn bad_references_are_errors() {
        for bad in ["", "UPPER/case", "a b", "x@sha256:zz", "x:", "ghcr.io/", "a//b"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
