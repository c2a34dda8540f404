//! SARIF 2.1.0, in the subset GitHub code scanning reads.
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>
//!
//! Locations are what code scanning can show: a file of the repository, relative to
//! `%SRCROOT%` (the repository root, [`crate::fingerprint::repository_root`]), never the
//! source string of an image or a runtime as if it were a file. A finding about something
//! that is not a file of the repository (`docker://…`, `oci-archive:…` outside it, a runtime,
//! standard input) is placed at the line of the repository's shipcheck.toml, or else of a
//! workflow, that names it; else it carries logical locations only. Every result has `partialFingerprints`
//! ([`crate::fingerprint`]), and the run an `automationDetails.id` per command
//! (`shipcheck/workflows/`), so that code scanning keeps one analysis per command.

use std::path::Path;

use serde_json::{json, Value};

use crate::fingerprint::{self, repository_file};
use crate::{doc_text, Finding, Locator, Report, Severity};

/// GitHub's hard limit of results per run ("SARIF support for code scanning", *Uploading
/// SARIF files*; docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit):
/// a file with more is rejected. Past it, the worst results are kept and the rest counted in a
/// notification.
pub(crate) const MAX_RESULTS: usize = 25_000;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The `uriBaseId` of every repository file.
const SRCROOT: &str = "%SRCROOT%";

pub(super) fn to_value(report: &Report) -> Value {
    let root = fingerprint::repository_root(report);
    let anchors = Anchors::new(&root);
    let fingerprints = fingerprint::fingerprints(report);
    let rules = report.rules();
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": doc_text(r.doc), "markdown": doc_text(r.doc)},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": [r.area()]},
            })
        })
        .collect();
    // Worst first when there are more than GitHub takes; report order otherwise.
    let mut kept: Vec<usize> = (0..report.findings.len()).collect();
    if kept.len() > MAX_RESULTS {
        kept.sort_by_key(|&i| std::cmp::Reverse(report.findings[i].severity));
        kept.truncate(MAX_RESULTS);
        kept.sort_unstable();
    }
    let results: Vec<Value> = kept
        .iter()
        .map(|&i| {
            let f = &report.findings[i];
            let mut text = super::placed_message(f);
            if !f.remedy.is_empty() {
                text.push_str(&format!(" Fix: {}", f.remedy));
            }
            let evidence: serde_json::Map<String, Value> =
                f.evidence.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            json!({
                "ruleId": f.rule.id,
                "ruleIndex": rules.iter().position(|r| r.id == f.rule.id).unwrap_or(0),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [location(f, &root, &anchors)],
                "partialFingerprints": {fingerprint::SARIF_KEY: fingerprints[i]},
                "properties": {"evidence": evidence},
            })
        })
        .collect();
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": "error",
                "message": {"text": format!("cannot check {}: {}", e.input, e.message)},
            });
            if let Some(rel) = repository_file(&e.input, &root) {
                n["locations"] =
                    json!([{"physicalLocation": {"artifactLocation": {"uri": uri(&rel), "uriBaseId": SRCROOT}}}]);
            }
            n
        })
        .collect();
    if report.findings.len() > kept.len() {
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{} of {} results left out: GitHub code scanning takes at most {MAX_RESULTS} per run; the worst are kept",
                report.findings.len() - kept.len(),
                report.findings.len()
            )},
        }));
    }
    let command = report.command.as_deref().unwrap_or("");
    let automation_id = if command.is_empty() { "shipcheck/".to_string() } else { format!("shipcheck/{command}/") };
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "shipcheck",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/shipcheck/shipcheck",
                "rules": rule_values,
            }},
            "automationDetails": {"id": automation_id},
            "originalUriBaseIds": {SRCROOT: {"uri": root_uri(&root)}},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

/// Where a finding is: the file of the repository it is about (with its line, when it has
/// one), else the shipcheck.toml line that names its artifact, else logical locations only.
fn location(f: &Finding, root: &Path, anchors: &Anchors) -> Value {
    let artifact = &f.subject.artifact;
    let mut logical = Vec::new();
    let physical = if let Some(rel) = repository_file(artifact, root) {
        let mut physical = json!({"artifactLocation": {"uri": uri(&rel), "uriBaseId": SRCROOT}});
        if let Locator::Position { line, column } = f.subject.locator {
            physical["region"] = match column {
                Some(c) if c >= 1 => json!({"startLine": line.max(1), "startColumn": c}),
                _ => json!({"startLine": line.max(1)}),
            };
        }
        Some(physical)
    } else {
        logical.push(json!({"name": artifact, "kind": "resource"}));
        anchors.line_naming(artifact).map(|(rel, line)| {
            json!({"artifactLocation": {"uri": uri(&rel), "uriBaseId": SRCROOT}, "region": {"startLine": line}})
        })
    };
    match &f.subject.locator {
        Locator::Entry { path } => logical.push(json!({"name": path, "kind": "member"})),
        Locator::Descriptor { digest } => logical.push(json!({"name": digest, "kind": "object"})),
        Locator::Platform { platform } => logical.push(json!({"name": platform, "kind": "module"})),
        Locator::Whole | Locator::Position { .. } => {}
    }
    let mut location = json!({});
    if let Some(p) = physical {
        location["physicalLocation"] = p;
    }
    if !logical.is_empty() {
        location["logicalLocations"] = Value::Array(logical);
    }
    location
}

/// The files that may name an image or a runtime: the shipcheck.toml of the current directory
/// and of the repository, then its
/// workflows (`.github/workflows/*.yml`, `*.yaml`), read once, to place findings about things
/// that are not files at the line that names them. Links are not followed and files over
/// 1 MiB are skipped: the repository is untrusted.
struct Anchors {
    files: Vec<(String, Vec<String>)>,
}

impl Anchors {
    const LIMIT: u64 = 1 << 20;

    fn new(root: &Path) -> Anchors {
        // The shipcheck.toml of the current directory (`shipcheck check` run in a subdirectory),
        // then the root's.
        let mut names: Vec<String> = fingerprint::relative_path("shipcheck.toml", root).into_iter().collect();
        if !names.iter().any(|n| n == "shipcheck.toml") {
            names.push("shipcheck.toml".to_string());
        }
        let workflows = root.join(".github/workflows");
        if std::fs::symlink_metadata(&workflows).is_ok_and(|m| m.is_dir()) {
            let mut found: Vec<String> = std::fs::read_dir(&workflows)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
                .map(|n| format!(".github/workflows/{n}"))
                .collect();
            found.sort();
            names.extend(found.into_iter().take(200));
        }
        let files = names
            .into_iter()
            .filter_map(|rel| {
                let path = root.join(&rel);
                let meta = std::fs::symlink_metadata(&path).ok()?;
                if !meta.is_file() || meta.len() > Self::LIMIT {
                    return None;
                }
                let text = std::fs::read_to_string(&path).ok()?;
                Some((rel, text.lines().map(str::to_string).collect()))
            })
            .collect();
        Anchors { files }
    }

    /// The first line, outside comments, that names `artifact` or the reference inside it
    /// (`docker://ghcr.io/o/i:1` is named as `ghcr.io/o/i:1`, `oci-archive:dist/x.tar` as
    /// `dist/x.tar`): shipcheck.toml first, then the workflows in name order.
    fn line_naming(&self, artifact: &str) -> Option<(String, u32)> {
        let bare = artifact.split_once("://").map(|(_, r)| r).or_else(|| artifact.split_once(':').map(|(_, r)| r));
        let bare = bare.map(|b| b.strip_prefix("./").unwrap_or(b)).filter(|b| b.len() >= 3);
        // A runtime recording, `runc (recording ./rec/runc)`: its directory as a quoted value.
        let quoted: Vec<String> = artifact
            .strip_suffix(')')
            .and_then(|a| a.split_once(" (recording "))
            .map(|(_, path)| {
                let path = Path::new(path.strip_prefix("./").unwrap_or(path));
                [Some(path), path.parent()]
                    .into_iter()
                    .flatten()
                    .map(|p| p.to_string_lossy().into_owned())
                    .filter(|p| !p.is_empty())
                    .flat_map(|p| [format!("\"{p}\""), format!("'{p}'"), format!("\"./{p}\"")])
                    .collect()
            })
            .unwrap_or_default();
        let names = |line: &str| {
            let code = line.split('#').next().unwrap_or("");
            code.contains(artifact) || bare.is_some_and(|b| code.contains(b)) || quoted.iter().any(|q| code.contains(q))
        };
        self.files.iter().find_map(|(rel, lines)| {
            let index = lines.iter().position(|l| names(l))?;
            Some((rel.clone(), index as u32 + 1))
        })
    }
}

/// The root as an absolute `file:` URI ending in `/`, as SARIF wants a base URI.
fn root_uri(root: &Path) -> String {
    let abs = std::env::current_dir().map(|cwd| cwd.join(root)).unwrap_or_else(|_| root.to_path_buf());
    let mut text = String::new();
    for c in fingerprint::normalize(&abs).components() {
        if let std::path::Component::Normal(n) = c {
            text.push_str(&uri(&n.to_string_lossy()));
            text.push('/');
        }
    }
    format!("file:///{text}")
}

/// A relative path as a URI reference: spaces and other reserved characters percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("a b/c!.tar"), "a%20b/c%21.tar");
        assert_eq!(root_uri(Path::new("/w/my repo")), "file:///w/my%20repo/");
    }

    #[test]
    fn results_reference_their_rules() {
        let v = to_value(&fixture::report());
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for result in run["results"].as_array().unwrap() {
            let i = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], result["ruleId"]);
        }
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }
}

/// Validation against the official OASIS SARIF 2.1.0 schema. The schema file ships inside the
/// `serde-sarif` crate (a pinned dev-dependency), found through `cargo metadata`, so the test
/// needs no network and the repository carries no copy of it.
#[cfg(test)]
mod schema {
    use super::*;
    use crate::render::fixture;

    fn official_schema() -> serde_json::Value {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--manifest-path",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            ])
            .output()
            .expect("cargo metadata runs");
        assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let manifest = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "serde-sarif")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("serde-sarif is a dev-dependency")
            .to_string();
        let path = std::path::Path::new(&manifest).parent().unwrap().join("src/schema.json");
        let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(schema["title"], "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema");
        schema
    }

    #[test]
    fn output_validates_against_the_official_schema() {
        let schema = official_schema();
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        for report in [fixture::report(), crate::Report::new()] {
            let value = to_value(&report);
            let errors: Vec<String> =
                validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path)).collect();
            assert!(errors.is_empty(), "SARIF output is invalid:\n{}", errors.join("\n"));
            // And it deserializes into typed SARIF as GitHub's ingestion would.
            let typed: serde_sarif::sarif::Sarif = serde_json::from_value(value).expect("typed SARIF");
            assert_eq!(typed.runs.len(), 1);
        }
    }

    #[test]
    fn schema_rejects_broken_output() {
        // The validation is real: a result without a message must fail it.
        let schema = official_schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut value = to_value(&fixture::report());
        value["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
        assert!(!validator.is_valid(&value));
    }
}

/// GitHub code scanning's documented upload constraints, "SARIF support for code scanning"
/// (docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning)
/// and its limits table (…/troubleshooting-sarif-uploads/results-exceed-limit): at most 20 runs
/// per file, 25,000 results and 25,000 rules per run, 1,000 locations per result, 20 tags per
/// rule; `tool.driver.name` and each result's `ruleId` and `message.text` present; file
/// locations are URIs relative to the repository root (`uriBaseId`), `region.startLine` ≥ 1;
/// `partialFingerprints` present (without them the API upload shows duplicate alerts); a
/// category in `automationDetails.id`. A result whose location has no physical location is
/// refused by the upload (`locationFromSarifResult: expected artifact location`,
/// forcedotcom/code-analyzer#1970), so the test also says which results would be.
#[cfg(test)]
mod github {
    use std::path::PathBuf;

    use super::*;
    use crate::render::fixture::{DIGEST, DRIFT};
    use crate::Subject;

    /// Every constraint, and the results that have no physical location.
    fn check_constraints(sarif: &Value) -> Vec<String> {
        let runs = sarif["runs"].as_array().expect("runs");
        assert!(!runs.is_empty() && runs.len() <= 20, "runs per file");
        let mut unlocated = Vec::new();
        for run in runs {
            assert!(run["tool"]["driver"]["name"].as_str().is_some_and(|n| !n.is_empty()), "tool.driver.name");
            let category = run["automationDetails"]["id"].as_str().expect("automationDetails.id");
            assert!(category.starts_with("shipcheck/") && category.ends_with('/'), "{category}");
            let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
            assert!(rules.len() <= 25_000, "rules per run");
            for r in rules {
                assert!(r["properties"]["tags"].as_array().map_or(0, Vec::len) <= 20, "tags per rule");
            }
            let bases = run["originalUriBaseIds"].as_object().expect("originalUriBaseIds");
            let results = run["results"].as_array().unwrap();
            assert!(results.len() <= MAX_RESULTS, "results per run");
            for r in results {
                let rule = r["ruleId"].as_str().expect("ruleId");
                assert!(rules.iter().any(|x| x["id"] == rule), "{rule} is declared");
                assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()), "message.text");
                let fp = r["partialFingerprints"][fingerprint::SARIF_KEY].as_str().expect("partialFingerprints");
                assert!(fp.len() >= 64, "{fp}");
                let locations = r["locations"].as_array().expect("locations");
                assert!(!locations.is_empty() && locations.len() <= 1_000, "locations per result");
                for l in locations {
                    let Some(p) = l.get("physicalLocation") else {
                        assert!(l["logicalLocations"].as_array().is_some_and(|a| !a.is_empty()), "{l}");
                        unlocated.push(rule.to_string());
                        continue;
                    };
                    let uri = p["artifactLocation"]["uri"].as_str().expect("artifactLocation.uri");
                    assert!(!uri.is_empty() && !uri.starts_with('/') && !uri.contains(':'), "relative URI: {uri}");
                    let base = p["artifactLocation"]["uriBaseId"].as_str().expect("uriBaseId");
                    assert!(bases[base]["uri"].as_str().is_some_and(|u| u.starts_with("file:///") && u.ends_with('/')));
                    if let Some(region) = p.get("region") {
                        assert!(region["startLine"].as_u64().is_some_and(|l| l >= 1), "startLine: {region}");
                        if let Some(c) = region.get("startColumn") {
                            assert!(c.as_u64().is_some_and(|c| c >= 1));
                        }
                    }
                }
            }
        }
        unlocated
    }

    /// A repository with a workflow, an image archive and a shipcheck.toml naming a registry image.
    fn repository() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
        std::fs::create_dir_all(root.join("dist")).unwrap();
        std::fs::write(
            root.join(".github/workflows/release.yml"),
            "on: push\n# ghcr.io/o/app:1\nenv: {BASE: ghcr.io/o/base:2}\n",
        )
        .unwrap();
        std::fs::write(root.join("dist/image tar.tar"), "not really").unwrap();
        std::fs::write(
            root.join("shipcheck.toml"),
            "# images\n[image]\nsources = [\"docker://ghcr.io/o/app:1\"]\n[runtime]\nfrom-recording = \"rec\"\n",
        )
        .unwrap();
        (dir, root)
    }

    #[test]
    fn meets_the_upload_constraints() {
        let (_dir, root) = repository();
        let mut r = Report::new();
        r.root = Some(root.clone());
        r.command = Some("image".into());
        let abs = |p: &str| root.join(p).display().to_string();
        r.findings.push(Finding::new(
            &DRIFT,
            Subject::position(abs(".github/workflows/release.yml"), 12, Some(7)),
            "m",
        ));
        r.findings.push(Finding::new(&DRIFT, Subject::position(abs(".github/workflows/release.yml"), 0, Some(0)), "m"));
        r.findings.push(Finding::new(
            &DIGEST,
            Subject::descriptor(format!("oci-archive:{}", abs("dist/image tar.tar")), "sha256:aa"),
            "m",
        ));
        r.findings.push(Finding::new(&DIGEST, Subject::platform("docker://ghcr.io/o/app:1", "linux/arm64"), "m"));
        r.findings.push(Finding::new(&DRIFT, Subject::whole("runc (recording corpus/runc)"), "m"));
        r.findings.push(Finding::new(&DRIFT, Subject::whole("crun (recording ./rec/crun)"), "m"));
        r.findings.push(Finding::new(&DIGEST, Subject::whole("docker://ghcr.io/o/base:2"), "m"));
        r.sort();
        let v = to_value(&r);
        assert_eq!(check_constraints(&v), vec!["workflow/platform-drift"], "only the runtime has no file");
        let results = v["runs"][0]["results"].as_array().unwrap();
        let uris: Vec<&str> = results
            .iter()
            .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
            .collect();
        assert!(uris.contains(&".github/workflows/release.yml"), "{uris:?}");
        assert!(uris.contains(&"dist/image%20tar.tar"), "the archive itself, not its source string: {uris:?}");
        // The registry image is placed where shipcheck.toml names it.
        let docker =
            results.iter().find(|r| r["locations"][0]["logicalLocations"][0]["name"] == "docker://ghcr.io/o/app:1");
        let docker = &docker.expect("the docker:// result")["locations"][0]["physicalLocation"];
        assert_eq!(docker["artifactLocation"]["uri"], "shipcheck.toml");
        assert_eq!(docker["region"]["startLine"], 3);
        // A runtime recording, where shipcheck.toml names its directory.
        let crun =
            results.iter().find(|r| r["locations"][0]["logicalLocations"][0]["name"] == "crun (recording ./rec/crun)");
        let crun = &crun.expect("the recording result")["locations"][0]["physicalLocation"];
        assert_eq!(crun["artifactLocation"]["uri"], "shipcheck.toml");
        assert_eq!(crun["region"]["startLine"], 5);
        // One only a workflow names is placed there.
        let base =
            results.iter().find(|r| r["locations"][0]["logicalLocations"][0]["name"] == "docker://ghcr.io/o/base:2");
        let base = &base.expect("the base image result")["locations"][0]["physicalLocation"];
        assert_eq!(base["artifactLocation"]["uri"], ".github/workflows/release.yml");
        assert_eq!(base["region"]["startLine"], 3, "the comment naming it is skipped");
        assert_eq!(v["runs"][0]["automationDetails"]["id"], "shipcheck/image/");
    }

    #[test]
    fn results_past_the_limit_are_left_out_worst_kept() {
        let (_dir, root) = repository();
        let mut r = Report::new();
        r.root = Some(root.clone());
        let file = root.join(".github/workflows/release.yml").display().to_string();
        for i in 0..MAX_RESULTS as u32 {
            r.findings.push(Finding::new(&DRIFT, Subject::position(&file, i + 1, None), "m").severity(Severity::Note));
        }
        r.findings.push(Finding::new(&DIGEST, Subject::position(&file, 1, None), "the worst"));
        let v = to_value(&r);
        check_constraints(&v);
        let run = &v["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), MAX_RESULTS);
        assert!(run["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == DIGEST.id));
        let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
        assert!(notes
            .iter()
            .any(|n| n["message"]["text"].as_str().unwrap().starts_with("1 of 25001 results left out")));
    }
}
