//! Platforms of `docker buildx bake` targets, from local bake files (HCL or JSON).
//!
//! Targets follow `inherits`; groups expand to their targets; `variable` blocks give their
//! defaults unless the step's environment sets them (as bake does). hcl-rs evaluates the
//! expressions; the functions bake files call most are ours ([`FUNCTIONS`]), declared with
//! `Context::declare_func`. What cannot be evaluated (other functions, user `function` blocks,
//! unknown variables) is unknown.

use std::collections::BTreeMap;

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::Value as HclValue;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Target {
    pub name: String,
    /// `None`: not set (native). `Some(Err(why))`: could not be evaluated.
    pub platforms: Option<Result<Vec<String>, String>>,
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    pub gha_cache: bool,
    /// `cache-from` includes `type=gha`.
    pub gha_import: bool,
    /// `cache-to` names a backend other than gha.
    pub cache_export: bool,
    pub push: bool,
}

#[derive(Debug, Clone, Default)]
struct Raw {
    attrs: BTreeMap<String, Result<serde_json::Value, String>>,
}

/// Why bake targets could not be resolved offline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BakeError {
    /// A bake file that is not valid JSON or HCL, or nests too deep.
    #[error("{file}: {why}")]
    File { file: String, why: String },
    /// A requested target no bake file defines.
    #[error("bake target {name:?} is not defined in {files}")]
    UndefinedTarget { name: String, files: String },
}

/// The bake file names bake reads by default, in its order.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "docker-bake.json",
    "docker-bake.hcl",
];

/// Parses bake files (later files override earlier ones) and resolves the requested targets
/// (default: the group or target `default`).
pub fn resolve(
    files: &[(String, String)],
    requested: &[String],
    env: &BTreeMap<String, String>,
) -> Result<Vec<Target>, BakeError> {
    let mut targets: BTreeMap<String, Raw> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, text) in files {
        if name.ends_with(".json") {
            read_json(text, &mut targets, &mut groups).map_err(|why| BakeError::File { file: name.clone(), why })?;
        } else if name.ends_with(".hcl") {
            read_hcl(text, env, &mut targets, &mut groups)
                .map_err(|why| BakeError::File { file: name.clone(), why })?;
        }
    }
    let requested = if requested.is_empty() { vec!["default".to_string()] } else { requested.to_vec() };
    let mut names = Vec::new();
    for r in &requested {
        expand_group(r, &groups, &mut names, 0);
    }
    let mut out = Vec::new();
    for name in names {
        if !targets.contains_key(&name) {
            return Err(BakeError::UndefinedTarget { name, files: list(files) });
        }
        let attrs = inherited(&name, &targets, 0);
        out.push(target(&name, &attrs));
    }
    Ok(out)
}

fn list(files: &[(String, String)]) -> String {
    files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
}

fn expand_group(name: &str, groups: &BTreeMap<String, Vec<String>>, out: &mut Vec<String>, depth: usize) {
    match groups.get(name) {
        Some(members) if depth < 16 => {
            for m in members {
                expand_group(m, groups, out, depth + 1);
            }
        }
        _ => {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
    }
}

fn inherited(
    name: &str,
    targets: &BTreeMap<String, Raw>,
    depth: usize,
) -> BTreeMap<String, Result<serde_json::Value, String>> {
    let Some(raw) = targets.get(name) else { return BTreeMap::new() };
    let mut attrs = BTreeMap::new();
    if depth < 16 {
        if let Some(Ok(serde_json::Value::Array(parents))) = raw.attrs.get("inherits") {
            for p in parents.iter().filter_map(|p| p.as_str()) {
                attrs.extend(inherited(p, targets, depth + 1));
            }
        }
    }
    attrs.extend(raw.attrs.clone());
    attrs
}

fn target(name: &str, attrs: &BTreeMap<String, Result<serde_json::Value, String>>) -> Target {
    let text = |k: &str| attrs.get(k).and_then(|v| v.as_ref().ok()).and_then(|v| v.as_str()).map(String::from);
    let strings = |k: &str| -> Vec<String> {
        match attrs.get(k) {
            Some(Ok(serde_json::Value::Array(a))) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            Some(Ok(serde_json::Value::String(s))) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let platforms = match attrs.get("platforms") {
        None | Some(Ok(serde_json::Value::Null)) => None,
        Some(Ok(serde_json::Value::Array(a))) => Some(
            a.iter()
                .map(|v| v.as_str().map(String::from).ok_or_else(|| format!("platform {v} is not a string")))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.iter().flat_map(|p| crate::platform::split_list(p)).collect()),
        ),
        Some(Ok(other)) => Some(Err(format!("platforms = {other} is not a list"))),
        Some(Err(e)) => Some(Err(e.clone())),
    };
    let cache: Vec<String> = strings("cache-to").into_iter().chain(strings("cache-from")).collect();
    Target {
        name: name.to_string(),
        platforms,
        context: text("context"),
        dockerfile: text("dockerfile"),
        gha_cache: cache.iter().any(|c| c.contains("type=gha")),
        gha_import: strings("cache-from").iter().any(|c| c.contains("type=gha")),
        cache_export: crate::workflow::exports_elsewhere(strings("cache-to").iter().map(String::as_str)),
        push: strings("output").iter().any(|o| o.contains("type=registry") || o.contains("push=true")),
    }
}

fn read_json(
    text: &str,
    targets: &mut BTreeMap<String, Raw>,
    groups: &mut BTreeMap<String, Vec<String>>,
) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if let Some(serde_json::Value::Object(ts)) = v.get("target") {
        for (name, t) in ts {
            let entry = targets.entry(name.clone()).or_default();
            if let serde_json::Value::Object(attrs) = t {
                entry.attrs.extend(attrs.iter().map(|(k, v)| (k.clone(), Ok(v.clone()))));
            }
        }
    }
    if let Some(serde_json::Value::Object(gs)) = v.get("group") {
        for (name, g) in gs {
            let members = g.get("targets").and_then(|t| t.as_array()).cloned().unwrap_or_default();
            groups.insert(name.clone(), members.iter().filter_map(|m| m.as_str().map(String::from)).collect());
        }
    }
    Ok(())
}

/// The HCL functions shipcheck evaluates in bake files, as bake's standard library (the
/// go-cty stdlib) defines them. The ones real bake files use to build platform lists (split,
/// compact, join) come first.
pub const FUNCTIONS: &[&str] =
    &["split", "join", "compact", "concat", "lower", "upper", "replace", "format", "trimspace"];

fn string_arg(v: &HclValue) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("{v} is not a string"))
}

/// A context with [`FUNCTIONS`] declared.
fn functions() -> Context<'static> {
    let mut ctx = Context::new();
    let list = || ParamType::array_of(ParamType::Any);
    ctx.declare_func(
        "split",
        FuncDef::builder().params([ParamType::String, ParamType::String]).build(|a: FuncArgs| {
            let (sep, text) = (string_arg(&a[0])?, string_arg(&a[1])?);
            // cty's split returns one empty element for an empty string, as strings.Split does.
            Ok(HclValue::Array(text.split(sep).map(HclValue::from).collect()))
        }),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder().param(ParamType::String).variadic_param(list()).build(|a: FuncArgs| {
            let sep = string_arg(&a[0])?;
            let mut parts = Vec::new();
            for l in a.variadic_args() {
                for v in l.as_array().into_iter().flatten() {
                    parts.push(string_arg(v)?.to_string());
                }
            }
            Ok(HclValue::from(parts.join(sep)))
        }),
    );
    ctx.declare_func(
        "compact",
        FuncDef::builder().param(list()).build(|a: FuncArgs| {
            let items = a[0].as_array().into_iter().flatten();
            Ok(HclValue::Array(
                items.filter(|v| !matches!(v, HclValue::String(s) if s.is_empty()) && !v.is_null()).cloned().collect(),
            ))
        }),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(list()).build(|a: FuncArgs| {
            Ok(HclValue::Array(a.iter().flat_map(|l| l.as_array().cloned().unwrap_or_default()).collect()))
        }),
    );
    ctx.declare_func(
        "lower",
        FuncDef::builder().param(ParamType::String).build(|a: FuncArgs| Ok(string_arg(&a[0])?.to_lowercase().into())),
    );
    ctx.declare_func(
        "upper",
        FuncDef::builder().param(ParamType::String).build(|a: FuncArgs| Ok(string_arg(&a[0])?.to_uppercase().into())),
    );
    ctx.declare_func(
        "trimspace",
        FuncDef::builder().param(ParamType::String).build(|a: FuncArgs| Ok(string_arg(&a[0])?.trim().into())),
    );
    ctx.declare_func(
        "replace",
        FuncDef::builder().params([ParamType::String, ParamType::String, ParamType::String]).build(|a: FuncArgs| {
            let (text, find, with) = (string_arg(&a[0])?, string_arg(&a[1])?, string_arg(&a[2])?);
            // `/…/` makes the search a regular expression; shipcheck does not evaluate those.
            if find.len() > 1 && find.starts_with('/') && find.ends_with('/') {
                return Err(format!("replace with the regular expression {find}"));
            }
            Ok(text.replace(find, with).into())
        }),
    );
    ctx.declare_func(
        "format",
        FuncDef::builder()
            .param(ParamType::String)
            .variadic_param(ParamType::Any)
            .build(|a: FuncArgs| format_spec(string_arg(&a[0])?, &a.variadic_args().collect::<Vec<_>>())),
    );
    ctx
}

/// `format` for the verbs bake files use: `%s`, `%d`, `%v` and `%%`; any other verb (width,
/// precision, `%q`, `%#v`…) is an error, so the value stays unknown rather than wrong.
fn format_spec(spec: &str, args: &[&HclValue]) -> Result<HclValue, String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => match args.next() {
                Some(HclValue::String(s)) => out.push_str(s),
                Some(HclValue::Number(n)) => out.push_str(&n.to_string()),
                Some(HclValue::Bool(b)) => out.push_str(&b.to_string()),
                Some(v) => return Err(format!("format of {v}")),
                None => return Err("format has too few arguments".into()),
            },
            other => {
                return Err(format!("format verb %{} is not evaluated", other.map(String::from).unwrap_or_default()))
            }
        }
    }
    Ok(out.into())
}

fn read_hcl(
    text: &str,
    env: &BTreeMap<String, String>,
    targets: &mut BTreeMap<String, Raw>,
    groups: &mut BTreeMap<String, Vec<String>>,
) -> Result<(), String> {
    // hcl-rs recurses on nesting: refuse depths no bake file has instead of risking the stack.
    if nesting(text) > 64 {
        return Err("brackets nest more than 64 deep".into());
    }
    let body = hcl::parse(text).map_err(|e| format!("not valid HCL: {e}"))?;
    let mut ctx = functions();
    let defaults = functions();
    for block in body.blocks().filter(|b| b.identifier() == "variable") {
        let Some(name) = block.labels().first().map(|l| l.as_str().to_string()) else { continue };
        let value = match env.get(&name) {
            Some(v) => hcl::Value::String(v.clone()),
            None => match block.body().attributes().find(|a| a.key() == "default") {
                Some(a) => match a.expr().evaluate(&defaults) {
                    Ok(v) => v,
                    Err(_) => continue,
                },
                None => hcl::Value::String(String::new()),
            },
        };
        ctx.declare_var(name, value);
    }
    for block in body.blocks() {
        let Some(name) = block.labels().first().map(|l| l.as_str().to_string()) else { continue };
        match block.identifier() {
            "target" => {
                let entry = targets.entry(name).or_default();
                for a in block.body().attributes() {
                    let v = a
                        .expr()
                        .evaluate(&ctx)
                        .map_err(|e| format!("{} = {} cannot be evaluated offline ({e})", a.key(), a.expr()))
                        .and_then(|v| serde_json::to_value(v).map_err(|e| e.to_string()));
                    entry.attrs.insert(a.key().to_string(), v);
                }
            }
            "group" => {
                let members = block
                    .body()
                    .attributes()
                    .find(|a| a.key() == "targets")
                    .and_then(|a| a.expr().evaluate(&ctx).ok())
                    .and_then(|v| serde_json::to_value(v).ok())
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                groups.insert(name, members.iter().filter_map(|m| m.as_str().map(String::from)).collect());
            }
            _ => {}
        }
    }
    Ok(())
}

fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'[' | b'{' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    const HCL: &str = r#"
variable "PLATFORMS" { default = "linux/amd64,linux/arm64" }
group "default" { targets = ["app", "tools"] }
target "_common" { platforms = ["linux/amd64", "linux/arm64", "linux/riscv64"] }
target "app" {
  inherits = ["_common"]
  context = "."
  dockerfile = "Dockerfile"
  cache-to = ["type=gha,mode=max"]
}
target "tools" { platforms = split(",", PLATFORMS) }
target "single" { platforms = ["${PLATFORMS}"] }
target "odd" { platforms = [sanitize(PLATFORMS)] }
"#;

    #[test]
    fn groups_inherits_and_unknowns() {
        let files = vec![("docker-bake.hcl".to_string(), HCL.to_string())];
        let t = resolve(&files, &[], &BTreeMap::new()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].platforms, Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into(), "linux/riscv64".into()])));
        assert!(t[0].gha_cache);
        assert_eq!(t[1].platforms, Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into()])), "split() is ours");
        let odd = resolve(&files, &["odd".into()], &BTreeMap::new()).unwrap();
        assert!(matches!(odd[0].platforms, Some(Err(_))), "a function shipcheck does not declare stays unknown");
        let env: BTreeMap<String, String> = [("PLATFORMS".to_string(), "linux/s390x".to_string())].into();
        let t = resolve(&files, &["single".into()], &env).unwrap();
        assert_eq!(t[0].platforms, Some(Ok(vec!["linux/s390x".into()])));
        assert!(resolve(&files, &["nope".into()], &env).unwrap_err().to_string().contains("not defined"));
    }

    #[test]
    fn json_files() {
        let json = r#"{"group":{"default":{"targets":["a"]}},"target":{"a":{"platforms":["linux/arm/v7"]}}}"#;
        let t = resolve(&[("docker-bake.json".into(), json.into())], &[], &BTreeMap::new()).unwrap();
        assert_eq!(t[0].platforms, Some(Ok(vec!["linux/arm/v7".into()])));
        assert!(resolve(&[("docker-bake.hcl".into(), "[".repeat(100))], &[], &BTreeMap::new()).is_err());
    }
}
