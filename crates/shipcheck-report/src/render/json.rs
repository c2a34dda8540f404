//! The versioned JSON schema (docs/json-schema.md). Field names here are a public contract:
//! the `pins_schema` snapshot test fails on any change, and a change needs a new SCHEMA_VERSION.

use serde_json::{json, Map, Value};

use crate::{Report, Severity, SCHEMA_VERSION};

pub(super) fn to_value(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule.id,
                "severity": f.severity,
                "summary": f.rule.summary,
                "subject": f.subject,
                "message": f.message,
                "evidence": pairs(&f.evidence),
                "remedy": f.remedy,
            })
        })
        .collect();
    let checked: Vec<Value> = report
        .checked
        .iter()
        .map(|c| {
            let mut v = json!({"input": c.input, "kind": c.kind, "facts": pairs(&c.facts)});
            // Tables are added only where there are some, so reports without them keep their shape.
            for t in &c.tables {
                let rows: Vec<Value> = t
                    .rows
                    .iter()
                    .map(|r| {
                        Value::Object(
                            t.columns.iter().cloned().zip(r.iter().map(|x| Value::String(x.clone()))).collect(),
                        )
                    })
                    .collect();
                v[t.name.as_str()] = Value::Array(rows);
            }
            v
        })
        .collect();
    json!({
        "schema": SCHEMA_VERSION,
        "tool": {"name": "shipcheck", "version": env!("CARGO_PKG_VERSION")},
        "summary": {
            "error": report.count(Severity::Error),
            "warning": report.count(Severity::Warning),
            "note": report.count(Severity::Note),
            "inputs_checked": report.checked.len(),
            "inputs_failed": report.errors.len(),
        },
        "checked": checked,
        "findings": findings,
        "errors": report.errors,
        "looked": report.looked,
    })
}

fn pairs(pairs: &[(String, String)]) -> Value {
    // Evidence keys are unique per finding by convention; a repeated key keeps every value.
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.get_mut(k) {
            Some(Value::Array(list)) => list.push(Value::String(v.clone())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v.clone())]);
            }
            None => {
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn pins_schema() {
        let mut v = to_value(&fixture::report());
        v["tool"]["version"] = json!("[version]");
        insta::assert_json_snapshot!(v);
    }
}
