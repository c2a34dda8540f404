//! Image references as Docker reads them: `[host[:port]/]path[:tag][@digest]`, normalised the way
//! distribution's `reference.ParseNormalizedNamed` does (`docker.io`, `index.docker.io`,
//! `library/`), with the default tag `latest` when neither a tag nor a digest is given.
//!
//! The grammar is distribution's (`regexp.go`): lower-case path components joined by `.`, `_`,
//! `__` or runs of `-`; a domain of DNS labels or a bracketed IPv6 address, with an optional port;
//! tags of at most 128 word characters, dots and dashes; digests `algorithm:hex` with at least 32
//! hex digits; a name of at most 255 characters. The tests carry distribution's own vectors.

use std::fmt;

/// Docker Hub, as references name it after normalisation.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The registry: `docker.io` for Docker Hub (also when written `index.docker.io` or
    /// `registry-1.docker.io`), otherwise as written, with its port.
    pub registry: String,
    /// The repository path: `library/alpine`, `ipfs/kubo`.
    pub repository: String,
    /// The tag; `latest` when the reference names neither a tag nor a digest.
    pub tag: Option<String>,
    /// The digest, `algorithm:hex`.
    pub digest: Option<String>,
}

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not an image reference: {why}")]
pub struct ReferenceError {
    pub input: String,
    pub why: &'static str,
}

const NAME_MAX: usize = 255;
const TAG_MAX: usize = 128;

impl Reference {
    /// Parses and normalises a reference; a leading `docker://` is accepted and dropped.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        let s = input.trim();
        let s = s.strip_prefix("docker://").unwrap_or(s);
        let err = |why| ReferenceError { input: s.to_string(), why };
        if s.is_empty() {
            return Err(err("expected [registry/]repository[:tag][@digest]"));
        }
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(err("a 64-digit hexadecimal name is ambiguous with an image ID"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) if is_digest(d) => (r, Some(d.to_string())),
            Some(_) => return Err(err("the digest must be algorithm:hex with at least 32 hex digits")),
            None => (s, None),
        };
        // A tag follows the last ':' after the last '/', so `host:5000/repo` has none.
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            if !is_tag(t) {
                return Err(err("the tag must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -"));
            }
        }
        let (registry, repository) = split_domain(name);
        if repository.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(err("the repository name must be lowercase"));
        }
        if !is_domain(registry) {
            return Err(err("the registry must be a host name or [IPv6] address, with an optional :port"));
        }
        if !repository.split('/').all(is_path_component) {
            return Err(err("the repository must be lower-case components joined by '/', each of [a-z0-9] separated by '.', '_', '__' or '-'"));
        }
        if registry.len() + 1 + repository.len() > NAME_MAX {
            return Err(err("the name is longer than 255 characters"));
        }
        let tag = tag.map(String::from).or_else(|| digest.is_none().then(|| "latest".to_string()));
        Ok(Reference { registry: registry.to_string(), repository, tag, digest })
    }

    /// The manifest endpoint's reference: the digest if there is one, else the tag.
    pub fn reference(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// `registry/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short form `docker` prints: `alpine:3.14`, `ipfs/kubo:v0.30.0`, `ghcr.io/o/r:1`.
    /// Only a one-component library name loses `library/` (`library/foo/bar` keeps it).
    pub fn familiar(&self) -> String {
        let full = self.to_string();
        if self.registry != DOCKER_HUB {
            return full;
        }
        let after = &full[DOCKER_HUB.len() + 1..];
        match self.repository.strip_prefix("library/") {
            Some(rest) if !rest.contains('/') => after["library/".len()..].to_string(),
            _ => after.to_string(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// A name as Docker resolves it, for names read from images (RepoTags, annotations) that may not
/// parse: a reference in its normalised form (`busybox` → `docker.io/library/busybox:latest`,
/// Docker Hub's aliases → `docker.io`); a name Docker would refuse (upper case, a bad tag) by the
/// same rules applied to its text, so that it can still be compared and shown.
pub fn normalize(name: &str) -> String {
    if let Ok(r) = Reference::parse(name) {
        return r.to_string();
    }
    let (repo, rest) = split_tag(name);
    let (domain, path) = split_domain(repo);
    format!("{domain}/{path}{rest}")
}

/// [`normalize`]d, then in the short form `docker images` shows ([`Reference::familiar`]).
pub fn familiar(name: &str) -> String {
    if let Ok(r) = Reference::parse(name) {
        return r.familiar();
    }
    let full = normalize(name);
    let hub = format!("{DOCKER_HUB}/");
    full.strip_prefix(&format!("{hub}library/")).or_else(|| full.strip_prefix(&hub)).unwrap_or(&full).to_string()
}

/// A name split into its repository and what follows it, as text: (`repo`, `:tag`, `@digest`,
/// or `:latest` when the name has neither). A `:` before the last `/` is a port, not a tag.
pub fn split_tag(name: &str) -> (&str, String) {
    if let Some((repo, digest)) = name.split_once('@') {
        return (repo, format!("@{digest}"));
    }
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], name[i..].to_string()),
        _ => (name, ":latest".to_string()),
    }
}

/// Whether a name carries a tag or a digest (`a/b:1`, `a@sha256:…`), not just a repository
/// (`host:5000/a` has none).
pub fn has_tag(name: &str) -> bool {
    name.contains('@') || name.rfind(':').is_some_and(|i| !name[i..].contains('/'))
}

/// The registry a repository name starts with, as distribution's `splitDockerDomain` tells it
/// (a first component with a dot, a port, `localhost`, or upper case), as written; `None` when
/// the name has none and Docker Hub is implied.
pub fn registry_of(repo: &str) -> Option<&str> {
    match repo.split_once('/') {
        Some((first, _))
            if first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            Some(first)
        }
        _ => None,
    }
}

/// distribution's `splitDockerDomain`: the first component is a registry only when it looks like
/// a host (a dot, a port, `localhost`, or upper case); Docker Hub's aliases become `docker.io`, and
/// a one-component Hub repository gets `library/`.
fn split_domain(name: &str) -> (&str, String) {
    let (domain, rest) = match registry_of(name) {
        Some(first) => (first, &name[first.len() + 1..]),
        None => (DOCKER_HUB, name),
    };
    let domain = match domain {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
        d => d,
    };
    let rest = if domain == DOCKER_HUB && !rest.contains('/') { format!("library/{rest}") } else { rest.to_string() };
    (domain, rest)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: one '.', one '_', '__', or a run of '-'; then an alphanumeric.
        let start = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => i += if b.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || !b.get(i).is_some_and(|&x| alnum(x)) {
            return false;
        }
    }
    true
}

/// A DNS-label host name or a bracketed IPv6 address, with an optional `:port`.
fn is_domain(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else { return false };
        if v6.is_empty() || !v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => ("", Some(port)),
            None if after.is_empty() => ("", None),
            None => return false,
        }
    } else {
        match d.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (d, None),
        }
    };
    let label = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
    };
    let host_ok = d.starts_with('[') || host.split('.').all(label);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// `[\w][\w.-]{0,127}`
fn is_tag(t: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    t.len() <= TAG_MAX && t.chars().next().is_some_and(word) && t.chars().all(|c| word(c) || c == '.' || c == '-')
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
fn is_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else { return false };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|part| {
        part.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && part.chars().all(|c| c.is_ascii_alphanumeric())
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from distribution/reference normalize_test.go (TestValidateReferenceName,
    // TestValidateRemoteName, TestParseRepositoryInfo, TestNormalizedSplitHostname,
    // TestParseAnyReference).
    #[test]
    fn distribution_valid_names() {
        let valid = [
            "docker/docker",
            "library/debian",
            "debian",
            "docker.io/docker/docker",
            "docker.io/library/debian",
            "docker.io/debian",
            "index.docker.io/docker/docker",
            "index.docker.io/library/debian",
            "index.docker.io/debian",
            "127.0.0.1:5000/docker/docker",
            "127.0.0.1:5000/library/debian",
            "127.0.0.1:5000/debian",
            "192.168.0.1",
            "192.168.0.1:80",
            "192.168.0.1:8/debian",
            "192.168.0.2:25000/debian",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "[fc00::1]:5000/docker",
            "[fc00::1]:5000/docker/docker",
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "Docker/docker",
            "DOCKER/docker",
            "docker-rules/docker",
            "docker---rules/docker",
            "doc/docker",
            "d/docker",
            "jess/t",
            "dock__er/docker",
        ];
        for name in valid {
            assert!(Reference::parse(name).is_ok(), "{name}: {:?}", Reference::parse(name));
        }
    }

    #[test]
    fn distribution_invalid_names() {
        let long =
            format!("{}/docker", "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_".repeat(4));
        let invalid = [
            "https://github.com/docker/docker",
            "docker/Docker",
            "-docker",
            "-docker/docker",
            "-docker.io/docker/docker",
            "docker///docker",
            "docker.io/docker/Docker",
            "docker.io/docker///docker",
            "[fc00::1]",
            "[fc00::1]:5000",
            "fc00::1:5000/debian",
            "[fe80::1%eth0]:5000/debian",
            "[2001:db8:3:4::192.0.2.33]:5000/debian",
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "docker-/docker",
            "-docker-/docker",
            "____/____",
            "_docker/_docker",
            "dock..er/docker",
            "dock_.er/docker",
            "dock-.er/docker",
            "docker/",
            long.as_str(),
            // Beyond distribution's vectors: what shipcheck's parsers always refused.
            "",
            "a b",
            "x@sha256:zz",
            "x:",
            "ghcr.io/",
            "a//b",
        ];
        for name in invalid {
            assert!(Reference::parse(name).is_err(), "{name} parsed as {:?}", Reference::parse(name));
        }
    }

    #[test]
    fn distribution_normalisation() {
        // (input, domain, path, full name)
        let cases = [
            ("fooo/bar", "docker.io", "fooo/bar", "docker.io/fooo/bar"),
            ("index.docker.io/fooo/bar", "docker.io", "fooo/bar", "docker.io/fooo/bar"),
            ("ubuntu", "docker.io", "library/ubuntu", "docker.io/library/ubuntu"),
            ("library/ubuntu", "docker.io", "library/ubuntu", "docker.io/library/ubuntu"),
            (
                "127.0.0.1:8000/private/moonbase",
                "127.0.0.1:8000",
                "private/moonbase",
                "127.0.0.1:8000/private/moonbase",
            ),
            ("example.com:8000/privatebasee", "example.com:8000", "privatebasee", "example.com:8000/privatebasee"),
            ("docker.io/foo", "docker.io", "library/foo", "docker.io/library/foo"),
            ("docker.io/library/foo/bar", "docker.io", "library/foo/bar", "docker.io/library/foo/bar"),
            ("store/foo/bar", "docker.io", "store/foo/bar", "docker.io/store/foo/bar"),
            ("Foo/bar", "Foo", "bar", "Foo/bar"),
            ("test_com/foo", "docker.io", "test_com/foo", "docker.io/test_com/foo"),
            ("test-com:8080/foo", "test-com:8080", "foo", "test-com:8080/foo"),
            ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "xn--n3h.com:18080/foo"),
            ("192.168.0.1", "docker.io", "library/192.168.0.1", "docker.io/library/192.168.0.1"),
        ];
        for (input, domain, path, full) in cases {
            let r = Reference::parse(input).unwrap();
            assert_eq!(
                (r.registry.as_str(), r.repository.as_str(), r.name()),
                (domain, path, full.to_string()),
                "{input}"
            );
        }
        let d = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        let r = Reference::parse(&format!("busybox:latest@{d}")).unwrap();
        assert_eq!(r.to_string(), format!("docker.io/library/busybox:latest@{d}"));
        assert_eq!(r.familiar(), format!("busybox:latest@{d}"));
        let r = Reference::parse(&format!("dmcgowan/myapp@{d}")).unwrap();
        assert_eq!((r.tag.as_deref(), r.reference()), (None, d));
    }

    #[test]
    fn names_as_text() {
        assert_eq!(normalize("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(normalize("foo/bar:v3"), "docker.io/foo/bar:v3");
        assert_eq!(normalize("index.docker.io/foo/bar:v3"), "docker.io/foo/bar:v3");
        assert_eq!(normalize("localhost:5000/w:latest"), "localhost:5000/w:latest");
        // Names Docker refuses are still normalised by their text.
        assert_eq!(normalize("UPPER"), "docker.io/library/UPPER:latest");
        assert_eq!(normalize("x@sha256:zz"), "docker.io/library/x@sha256:zz");
        assert_eq!(familiar("docker.io/library/alpine:3.14"), "alpine:3.14");
        assert_eq!(familiar("Bad Name"), "Bad Name:latest");
        assert_eq!(split_tag("host:5000/a"), ("host:5000/a", ":latest".to_string()));
        assert!(!has_tag("test_image_2") && has_tag("a/b:1") && !has_tag("host:5000/a"));
        assert_eq!(registry_of("localhost/a"), Some("localhost"));
        assert_eq!(registry_of("library/a"), None);
        assert_eq!(registry_of("a"), None);
    }

    #[test]
    fn familiar_and_defaults() {
        assert_eq!(Reference::parse("alpine").unwrap().to_string(), "docker.io/library/alpine:latest");
        assert_eq!(Reference::parse("docker.io/library/alpine:3.14").unwrap().familiar(), "alpine:3.14");
        assert_eq!(Reference::parse("ipfs/kubo:v0.30.0").unwrap().familiar(), "ipfs/kubo:v0.30.0");
        assert_eq!(Reference::parse("library/foo/bar").unwrap().familiar(), "library/foo/bar:latest");
        assert_eq!(Reference::parse("ghcr.io/o/r:1").unwrap().familiar(), "ghcr.io/o/r:1");
        assert_eq!(Reference::parse("registry-1.docker.io/a/b").unwrap().registry, "docker.io");
        assert_eq!(Reference::parse("docker://localhost:5000/x").unwrap().to_string(), "localhost:5000/x:latest");
    }
}
