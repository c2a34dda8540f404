//! One fixture a rule: every rule in the generated registry has documentation, a recorded
//! transfer outcome in tests/fixtures/rules/<rule>/outcome.json that makes it fire when it runs
//! alone, and a reviewed snapshot of what it reports (human and JSON), so a change to a message,
//! evidence or fix shows in review.
//!
//! An outcome names the image and, for each document or blob the registry would not serve, the
//! URL asked, the HTTP status and the body it answered with (JSON, or text as it came).

use std::path::PathBuf;
use std::time::Duration;

use shipcheck_image::VerifyOptions;
use shipcheck_registry::client::{Limits, RetryPolicy};
use shipcheck_registry::facts::{check_enabled, Facts};
use shipcheck_registry::testing::{Canned, Hostile, Reply};
use shipcheck_registry::{Client, Error, Reference};
use shipcheck_report::render::findings_for_review;
use shipcheck_report::{Finding, Locator};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The findings of the recorded outcome in `dir` from the rules `enabled` accepts.
fn check_fixture(dir: &std::path::Path, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let text = std::fs::read_to_string(dir.join("outcome.json")).unwrap();
    let outcome: serde_json::Value = serde_json::from_str(&text).unwrap();
    let unreadable: Vec<(String, Error)> = outcome["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let body = match &u["body"] {
                serde_json::Value::String(s) => s.clone().into_bytes(),
                other => serde_json::to_vec(other).unwrap(),
            };
            let status = u16::try_from(u["status"].as_u64().unwrap()).unwrap();
            let e = Error::from_response(u["url"].as_str().unwrap(), status, &body);
            (u["digest"].as_str().unwrap().to_string(), e)
        })
        .collect();
    let display = outcome["image"].as_str().unwrap();
    check_enabled(&Facts { display, unreadable: &unreadable }, enabled)
}

#[test]
fn every_rule_has_docs_a_fixture_and_a_snapshot() {
    for rule in shipcheck_registry::rules::ALL {
        let name = rule.id.trim_start_matches("registry/").replace('-', "_");
        for section in ["## What it catches", "## Fix", "## Example"] {
            assert!(rule.doc.contains(section), "{}: its doc has no `{section}`", rule.id);
        }
        let dir = fixtures().join(&name);
        assert!(dir.is_dir(), "{} has no fixture at {}", rule.id, dir.display());
        let findings = check_fixture(&dir, &|id| id == rule.id);
        assert!(!findings.is_empty(), "{}: its fixture does not make it fire", rule.id);
        assert!(findings.iter().all(|f| f.rule.id == rule.id), "{}: another rule ran", rule.id);
        insta::assert_snapshot!(name.clone(), findings_for_review(findings));
    }
}

#[test]
fn every_rule_file_is_named_after_its_rule() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(String::from))
        .filter(|n| n != "mod")
        .collect();
    files.sort();
    let mut names: Vec<String> =
        shipcheck_registry::rules::ALL.iter().map(|r| r.id.trim_start_matches("registry/").replace('-', "_")).collect();
    names.sort();
    assert_eq!(files, names);
}

#[test]
fn a_rule_that_is_off_does_not_run() {
    let dir = fixtures().join("fetch_failed");
    assert!(check_fixture(&dir, &|id| id != "registry/fetch-failed").is_empty());
    assert!(!check_fixture(&dir, &|_| true).is_empty(), "the fixture fires with every rule on");
}

/// The same rule from a live transfer: a loopback registry that refuses one blob (403) and
/// does not have another (404). The refused blob is `registry/fetch-failed`, once, and not
/// also missing; the absent one is the image verifier's `image/blob-missing`.
#[test]
fn a_blob_the_registry_refuses_is_reported_from_a_real_transfer() {
    let canned = Canned::image(b"layer bytes".to_vec(), None);
    let (config, layer) = (canned.blobs[0].0.clone(), canned.blobs[1].0.clone());
    let (refused, config_digest) = (layer.clone(), config.clone());
    let server = Hostile::start("127.0.0.1", move |seen| {
        if seen.target.contains(&refused) {
            let body = r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
            return Reply::new(403).header("Content-Type", "application/json").body(body);
        }
        if seen.target.contains(&config) {
            return Reply::new(404);
        }
        canned.reply(seen)
    });
    let mut client = Client::with_limits(Duration::from_secs(10), Limits::default());
    client.retry = RetryPolicy { attempts: 1, base: Duration::from_millis(10) };
    let r = Reference::parse(&format!("{}/app:1", server.host)).unwrap();
    let display = format!("docker://{}/app:1", server.host);
    let v = shipcheck_registry::remote::verify(&client, &r, &display, &VerifyOptions::default(), 2).unwrap();
    let about = |id: &str, digest: &str| {
        v.findings
            .iter()
            .filter(|f| f.rule.id == id)
            .filter(|f| matches!(&f.subject.locator, Locator::Descriptor { digest: d } if d == digest))
            .count()
    };
    assert_eq!(about("registry/fetch-failed", &layer), 1, "{:#?}", v.findings);
    assert_eq!(about("image/blob-missing", &layer), 0, "{:#?}", v.findings);
    assert_eq!(about("registry/fetch-failed", &config_digest), 0, "{:#?}", v.findings);
    assert_eq!(about("image/blob-missing", &config_digest), 1, "{:#?}", v.findings);
    let failed = v.findings.iter().find(|f| f.rule.id == "registry/fetch-failed").unwrap();
    assert!(failed.message.contains("DENIED") || failed.message.contains("denied"), "{failed:#?}");
    assert!(failed.evidence.iter().any(|(k, v)| k == "code" && v == "DENIED"), "{failed:#?}");
    assert_eq!(v.findings.iter().filter(|f| f.rule.id == "registry/fetch-failed").count(), 1, "{:#?}", v.findings);
}
