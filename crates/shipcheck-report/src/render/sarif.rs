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

pub fn to_value(report: &Report) -> Value {
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
