//! The registry client as the Dockerfile checks' base-image lookup, against a loopback registry
//! (`testing::Hostile`, no docker-registry needed): what its index lists is what the
//! `dockerfile/base-platform-missing` check sees, and a registry error leaves the image
//! unchecked with the registry's code. The binary's tests do the same against docker-registry.

use std::time::Duration;

use shipcheck_core::platform::Platform;
use shipcheck_registry::client::{Limits, RetryPolicy};
use shipcheck_registry::testing::{Canned, Hostile};
use shipcheck_registry::{Client, Reference};
use shipcheck_report::{Domain, Report, Settings};
use shipcheck_workflow::{BaseImages, DockerfileInput, Dockerfiles};

fn client() -> Client {
    let mut c = Client::with_limits(Duration::from_secs(10), Limits::default());
    c.retry = RetryPolicy { attempts: 1, base: Duration::from_millis(10) };
    c
}

/// A registry whose `base:1` is an index of linux/amd64, linux/arm64/v8 and an attestation.
fn registry() -> Hostile {
    let entry = |os: &str, arch: &str, variant: Option<&str>| {
        let mut p = serde_json::json!({"os": os, "architecture": arch});
        if let Some(v) = variant {
            p["variant"] = v.into();
        }
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{}", "a".repeat(64)), "size": 2, "platform": p})
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry("linux", "amd64", None), entry("linux", "arm64", Some("v8")), entry("unknown", "unknown", None)],
    });
    let canned = Canned {
        manifests: vec![(
            "1".into(),
            "application/vnd.oci.image.index.v1+json".into(),
            serde_json::to_vec(&index).unwrap(),
        )],
        ..Canned::default()
    };
    Hostile::start("127.0.0.1", move |seen| {
        if seen.target.ends_with("/manifests/2") {
            let body = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
            return shipcheck_registry::testing::Reply::new(404).header("Content-Type", "application/json").body(body);
        }
        canned.reply(seen)
    })
}

#[test]
fn the_client_lists_platforms_through_the_trait() {
    let server = registry();
    let r = Reference::parse(&format!("{}/base:1", server.host)).unwrap();
    let got = BaseImages::platforms(&client(), &r).unwrap();
    let want: Vec<Platform> = ["linux/amd64", "linux/arm64"].iter().map(|p| Platform::parse(p).unwrap()).collect();
    assert_eq!(got, want);
    let missing = Reference::parse(&format!("{}/base:2", server.host)).unwrap();
    let err = BaseImages::platforms(&client(), &missing).unwrap_err();
    assert!(err.to_string().contains("MANIFEST_UNKNOWN"), "{err}");
}

#[test]
fn dockerfiles_online_check_base_images_in_the_registry() {
    let server = registry();
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    std::fs::write(&df, format!("ARG TAG=1\nFROM {0}/base:${{TAG}}\nFROM {0}/base:2\nRUN true\n", server.host))
        .unwrap();
    let input = DockerfileInput {
        repo: dir.path().to_path_buf(),
        files: vec![df],
        platforms: vec!["linux/amd64".into(), "linux/riscv64".into()],
        base_images: Some(Box::new(client())),
        ..Default::default()
    };
    let mut report = Report::new();
    Dockerfiles::check(&input, &Settings::default(), &mut report).unwrap();
    let f: Vec<_> = report.findings.iter().filter(|f| f.rule.id == "dockerfile/base-platform-missing").collect();
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert!(f[0].message.ends_with("base:1 has no linux/riscv64"), "{:#?}", f[0]);
    assert!(f[0].evidence.iter().any(|(k, v)| k == "available" && v == "linux/amd64, linux/arm64"), "{:#?}", f[0]);
    let unchecked = report.checked[0].facts.iter().find(|(k, _)| k == "base_images_unchecked").unwrap();
    assert!(unchecked.1.contains("base:2: ") && unchecked.1.contains("MANIFEST_UNKNOWN"), "{unchecked:?}");
}
