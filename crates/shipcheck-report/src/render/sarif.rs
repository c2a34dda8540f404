//! SARIF 2.1.0, in the subset GitHub code scanning reads.
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>

use serde_json::{json, Value};

use crate::{doc_text, Locator, Report, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

pub(super) fn to_value(report: &Report) -> Value {
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
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut physical = json!({"artifactLocation": {"uri": uri(&f.subject.artifact)}});
            if let Locator::Position { line, column } = f.subject.locator {
                physical["region"] = match column {
                    Some(c) => json!({"startLine": line, "startColumn": c}),
                    None => json!({"startLine": line}),
                };
            }
            let mut location = json!({"physicalLocation": physical});
            let logical = match &f.subject.locator {
                Locator::Entry { path } => Some(json!({"name": path, "kind": "member"})),
                Locator::Descriptor { digest } => Some(json!({"name": digest, "kind": "object"})),
                Locator::Platform { platform } => Some(json!({"name": platform, "kind": "module"})),
                Locator::Whole | Locator::Position { .. } => None,
            };
            if let Some(l) = logical {
                location["logicalLocations"] = json!([l]);
            }
            let mut text = f.message.clone();
            if let Some(place) = f.subject.place().filter(|_| !matches!(f.subject.locator, Locator::Position { .. })) {
                text = format!("{place}: {text}");
            }
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
                "locations": [location],
                "properties": {"evidence": evidence},
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": format!("cannot check {}: {}", e.input, e.message)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&e.input)}}}],
            })
        })
        .collect();
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
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

/// SARIF wants URI references. Paths are given relative to the working directory (which is what
/// code scanning resolves against the repository root); spaces and other reserved characters
/// are percent-encoded. Remote references (`docker://…`) are kept whole.
fn uri(artifact: &str) -> String {
    if artifact.contains("://") {
        return artifact.to_string();
    }
    let path = artifact.strip_prefix("./").unwrap_or(artifact);
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
        assert_eq!(uri("./a b/c!.tar"), "a%20b/c%21.tar");
        assert_eq!(uri("docker://reg/x:1"), "docker://reg/x:1");
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
