//! Image references are shipcheck-core's (distribution's grammar and Docker Hub's
//! normalisation); this module adds what speaking to a registry needs: its base URL and the
//! origin that credentials may go to.

pub use shipcheck_core::reference::{Reference, ReferenceError};

/// The registry API's URL for a reference.
pub trait RegistryUrl {
    /// The base URL of the registry API. Loopback registries are spoken to over plain HTTP,
    /// as Docker does for 127.0.0.0/8 by default; all others over HTTPS.
    fn base_url(&self) -> String;
}

impl RegistryUrl for Reference {
    fn base_url(&self) -> String {
        base_url(&self.registry)
    }
}

/// The base URL of `registry` (a host with optional port, `docker.io` for Docker Hub).
pub fn base_url(registry: &str) -> String {
    let host = if registry == "docker.io" { "registry-1.docker.io" } else { registry };
    let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
    format!("{}://{host}", if is_loopback(bare) { "http" } else { "https" })
}

/// `localhost`, `127.0.0.0/8` or `[::1]` (a host without its port).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
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
        for bad in ["", "a b", "x@sha256:zz", "x:", "ghcr.io/", "a//b"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
