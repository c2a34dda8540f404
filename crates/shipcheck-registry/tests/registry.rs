//! Against a real registry: Debian's docker-registry (distribution 2.8), started here on
//! loopback in a temp dir, anonymous and with htpasswd basic auth; images pushed with skopeo.
//! Without docker-registry or skopeo the tests skip, except under CI=true, where they fail.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use shipcheck_registry::auth::Credential;
use shipcheck_registry::testing::{available, htpasswd, Registry};
use shipcheck_registry::{Client, Reference};

fn reference(reg: &Registry, rest: &str) -> Reference {
    Reference::parse(&format!("{}/{rest}", reg.host)).unwrap()
}

#[test]
fn anonymous_registry_platforms_manifests_and_errors() {
    if !available() {
        return;
    }
    let reg = Registry::start(None);
    reg.push("base/multi:1", &["linux/amd64", "linux/arm64"], None);
    reg.push("base/single:1", &["linux/arm/v7"], None);
    let client = Client::default();
    let mut got = client.platforms(&reference(&reg, "base/multi:1")).unwrap();
    got.sort();
    assert_eq!(got, ["linux/amd64", "linux/arm64"]);
    // A single image: its platform comes from the config blob.
    assert_eq!(client.platforms(&reference(&reg, "base/single:1")).unwrap(), ["linux/arm/v7"]);
    // By digest: the digest of what is served is checked.
    let m = client.manifest(&reference(&reg, "base/multi:1")).unwrap();
    assert_eq!(m.media_type, "application/vnd.oci.image.index.v1+json");
    let by_digest = client.manifest(&reference(&reg, &format!("base/multi@{}", m.digest))).unwrap();
    assert_eq!(by_digest.bytes, m.bytes);
    // Errors carry the distribution-spec code and say what it means.
    let e = client.platforms(&reference(&reg, "base/multi:nope")).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("MANIFEST_UNKNOWN"), "{e}");
    assert!(e.to_string().contains("no such tag or digest"), "{e}");
    let e = client.platforms(&reference(&reg, "base/absent:1")).unwrap_err();
    assert!(matches!(e.code.as_deref(), Some("NAME_UNKNOWN" | "MANIFEST_UNKNOWN")), "{e}");
}

#[test]
fn basic_auth_registry_needs_and_uses_credentials() {
    if !available() {
        return;
    }
    let reg = Registry::start(Some(&htpasswd("ci", "s3cret-pass")));
    reg.push("app:1", &["linux/amd64", "linux/s390x"], Some("ci:s3cret-pass"));
    let anonymous = Client::default();
    anonymous.set_credential(&reg.host, None);
    let e = anonymous.platforms(&reference(&reg, "app:1")).unwrap_err();
    assert_eq!((e.code.as_deref(), e.status), (Some("UNAUTHORIZED"), Some(401)), "{e}");
    let wrong = Client::default();
    wrong.set_credential(&reg.host, Some(Credential { username: "ci".into(), secret: "wrong-pass".into() }));
    let e = wrong.platforms(&reference(&reg, "app:1")).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("UNAUTHORIZED"), "{e}");
    assert!(!e.to_string().contains("wrong-pass"), "{e}");
    let client = Client::default();
    client.set_credential(&reg.host, Some(Credential { username: "ci".into(), secret: "s3cret-pass".into() }));
    let mut got = client.platforms(&reference(&reg, "app:1")).unwrap();
    got.sort();
    assert_eq!(got, ["linux/amd64", "linux/s390x"]);
}

#[test]
fn unreachable_registry_is_a_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::new(Duration::from_secs(5));
    let start = Instant::now();
    let e = client.platforms(&Reference::parse(&format!("127.0.0.1:{port}/x:1")).unwrap()).unwrap_err();
    assert!(e.to_string().contains("cannot reach the registry"), "{e}");
    // Connection refusals are retried with backoff, a bounded number of times.
    assert!(start.elapsed() < Duration::from_secs(10));
}
