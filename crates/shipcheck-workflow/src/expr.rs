//! GitHub Actions expressions (`${{ … }}`), evaluated as far as the repository alone allows.
//!
//! Anything that depends on the run (secrets, step outputs, the ref, `needs`) is `Unknown`, and an
//! unknown propagates: shipcheck never guesses a platform list. The grammar and the semantics
//! (case-insensitive `==`, truthiness, `&&`/`||` returning operands) follow
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/expressions>.

use std::collections::BTreeMap;

use serde_json::Value;

/// Maximum nesting in one expression; deeper is `Unknown`, never a stack overflow.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Known(Value),
    Unknown,
}

/// The contexts an expression can read. A context that is `complete` answers `null` for a
/// missing property (as GitHub does); an incomplete one answers `Unknown`.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    roots: BTreeMap<String, (Value, bool)>,
}

impl Scope {
    pub fn set(&mut self, name: &str, value: Value, complete: bool) {
        self.roots.insert(name.to_string(), (value, complete));
    }

    /// Adds entries to an object context, creating it (as incomplete) when absent.
    pub fn extend(&mut self, name: &str, entries: impl IntoIterator<Item = (String, Value)>) {
        let slot = self.roots.entry(name.to_string()).or_insert((Value::Object(Default::default()), false));
        if let Value::Object(map) = &mut slot.0 {
            map.extend(entries);
        }
    }

    fn lookup(&self, name: &str) -> (Ev, bool) {
        match self.roots.get(&name.to_ascii_lowercase()) {
            Some((v, complete)) => (Ev::Known(v.clone()), *complete),
            None => (Ev::Unknown, false),
        }
    }
}

/// Interpolates every `${{ … }}` in `text`. `None` when any of them is unknown.
pub fn interpolate(text: &str, scope: &Scope) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = closing(after)?;
        match evaluate(&after[..end], scope) {
            Ev::Known(v) => out.push_str(&to_text(&v)),
            Ev::Unknown => return None,
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// Where the `}}` that closes an expression is, skipping string literals.
fn closing(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        match b[i] {
            b'\'' => in_str = !in_str,
            b'}' if !in_str && b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The value of a string that is one whole `${{ … }}` (objects and arrays stay structured), or
/// of the interpolated string otherwise.
pub fn value(text: &str, scope: &Scope) -> Option<Value> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")).filter(|i| closing(i).is_none()) {
        return match evaluate(inner, scope) {
            Ev::Known(v) => Some(v),
            Ev::Unknown => None,
        };
    }
    interpolate(text, scope).map(Value::String)
}

/// A number as GitHub shows it: integral values without a fraction.
pub fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// Evaluates an `if:` condition: `Some(true/false)` when it is known.
pub fn condition(text: &str, scope: &Scope) -> Option<bool> {
    let t = text.trim();
    let inner = match t.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
        Some(i) if closing(i).is_none() => i,
        _ if t.contains("${{") => return interpolate(t, scope).map(|s| !s.is_empty()),
        _ => t,
    };
    match evaluate(inner, scope) {
        Ev::Known(v) => Some(truthy(&v)),
        Ev::Unknown => None,
    }
}

/// Evaluates one expression (the text between `${{` and `}}`).
pub fn evaluate(text: &str, scope: &Scope) -> Ev {
    let Some(tokens) = lex(text) else { return Ev::Unknown };
    let mut p = ExprParser { tokens, pos: 0, scope, depth: 0 };
    let v = p.or();
    if p.pos != p.tokens.len() {
        return Ev::Unknown;
    }
    v
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A value as GitHub writes it into a string.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(_) => "Array".into(),
        Value::Object(_) => "Object".into(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
}

fn lex(s: &str) -> Option<Vec<Tok>> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                match c.get(i) {
                    None => return None,
                    Some('\'') if c.get(i + 1) == Some(&'\'') => {
                        v.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&x) => {
                        v.push(x);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(v));
        } else if ch.is_ascii_digit() || (ch == '-' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            i += 1;
            while i < c.len() && (c[i].is_ascii_alphanumeric() || c[i] == '.') {
                i += 1;
            }
            let t: String = c[start..i].iter().collect();
            let n = if let Some(h) = t.strip_prefix("0x") {
                i64::from_str_radix(h, 16).ok()? as f64
            } else {
                t.parse().ok()?
            };
            out.push(Tok::Num(n));
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '-') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            let op = ["==", "!=", "<=", ">=", "&&", "||"].into_iter().find(|o| *o == two);
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
            } else {
                let op = ["(", ")", "[", "]", ".", ",", "!", "<", ">", "*"].into_iter().find(|o| o.starts_with(ch))?;
                out.push(Tok::Op(op));
                i += 1;
            }
        }
    }
    Some(out)
}

struct ExprParser<'a> {
    tokens: Vec<Tok>,
    pos: usize,
    scope: &'a Scope,
    depth: usize,
}

impl ExprParser<'_> {
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.tokens.get(self.pos), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Ev {
        // Every nested sub-expression (parentheses, indexes, call arguments) comes through here.
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.pos = self.tokens.len() + 1;
            return Ev::Unknown;
        }
        let v = self.or_chain();
        self.depth -= 1;
        v
    }

    fn or_chain(&mut self) -> Ev {
        let mut left = self.and();
        while self.eat("||") {
            let right = self.and();
            left = match left {
                Ev::Known(l) if truthy(&l) => Ev::Known(l),
                Ev::Known(_) => right,
                Ev::Unknown => Ev::Unknown,
            };
        }
        left
    }

    fn and(&mut self) -> Ev {
        let mut left = self.equality();
        while self.eat("&&") {
            let right = self.equality();
            left = match left {
                Ev::Known(l) if !truthy(&l) => Ev::Known(l),
                Ev::Known(_) => right,
                Ev::Unknown => Ev::Unknown,
            };
        }
        left
    }

    fn equality(&mut self) -> Ev {
        let mut left = self.comparison();
        loop {
            let negate = if self.eat("==") {
                false
            } else if self.eat("!=") {
                true
            } else {
                return left;
            };
            let right = self.comparison();
            left = match (left, right) {
                (Ev::Known(l), Ev::Known(r)) => Ev::Known(Value::Bool(loose_eq(&l, &r) != negate)),
                _ => Ev::Unknown,
            };
        }
    }

    fn comparison(&mut self) -> Ev {
        let mut left = self.unary();
        loop {
            let op = ["<=", ">=", "<", ">"].into_iter().find(|o| self.eat(o));
            let Some(op) = op else { return left };
            let right = self.unary();
            left = match (left, right) {
                (Ev::Known(l), Ev::Known(r)) => {
                    let (a, b) = (number(&l), number(&r));
                    Ev::Known(Value::Bool(match op {
                        "<" => a < b,
                        "<=" => a <= b,
                        ">" => a > b,
                        _ => a >= b,
                    }))
                }
                _ => Ev::Unknown,
            };
        }
    }

    fn unary(&mut self) -> Ev {
        if self.eat("!") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                self.pos = self.tokens.len() + 1;
                return Ev::Unknown;
            }
            let v = self.unary();
            self.depth -= 1;
            return match v {
                Ev::Known(v) => Ev::Known(Value::Bool(!truthy(&v))),
                Ev::Unknown => Ev::Unknown,
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Ev {
        let (mut v, mut complete) = self.primary();
        loop {
            if self.eat(".") {
                match self.tokens.get(self.pos).cloned() {
                    Some(Tok::Ident(name)) => {
                        self.pos += 1;
                        (v, complete) = property(v, &name, complete);
                    }
                    Some(Tok::Op("*")) => {
                        self.pos += 1;
                        v = Ev::Unknown;
                    }
                    _ => {
                        self.pos = self.tokens.len() + 1;
                        return Ev::Unknown;
                    }
                }
            } else if self.eat("[") {
                let index = self.or();
                if !self.eat("]") {
                    self.pos = self.tokens.len() + 1;
                    return Ev::Unknown;
                }
                v = match (v, index) {
                    (Ev::Known(Value::Array(a)), Ev::Known(Value::Number(n))) => {
                        Ev::Known(n.as_u64().and_then(|i| a.get(i as usize).cloned()).unwrap_or(Value::Null))
                    }
                    (v @ Ev::Known(Value::Object(_)), Ev::Known(Value::String(k))) => property(v, &k, complete).0,
                    _ => Ev::Unknown,
                };
            } else {
                return v;
            }
        }
    }

    fn primary(&mut self) -> (Ev, bool) {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Str(s)) => (Ev::Known(Value::String(s)), true),
            Some(Tok::Num(n)) => (Ev::Known(number_value(n)), true),
            Some(Tok::Op("(")) => {
                let v = self.or();
                if !self.eat(")") {
                    self.pos = self.tokens.len() + 1;
                }
                (v, true)
            }
            Some(Tok::Ident(name)) => match name.as_str() {
                "true" => (Ev::Known(Value::Bool(true)), true),
                "false" => (Ev::Known(Value::Bool(false)), true),
                "null" => (Ev::Known(Value::Null), true),
                _ if self.eat("(") => (self.call(&name), true),
                _ => self.scope.lookup(&name),
            },
            _ => {
                self.pos = self.tokens.len() + 1;
                (Ev::Unknown, false)
            }
        }
    }

    fn call(&mut self, name: &str) -> Ev {
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                args.push(self.or());
                if self.eat(")") {
                    break;
                }
                if !self.eat(",") {
                    self.pos = self.tokens.len() + 1;
                    return Ev::Unknown;
                }
            }
        }
        let known: Option<Vec<Value>> =
            args.into_iter().map(|a| if let Ev::Known(v) = a { Some(v) } else { None }).collect();
        let lower = name.to_ascii_lowercase();
        // Status functions: a step's `if:` is judged on the normal, successful path.
        match lower.as_str() {
            "success" | "always" => return Ev::Known(Value::Bool(true)),
            "failure" | "cancelled" => return Ev::Known(Value::Bool(false)),
            _ => {}
        }
        let Some(a) = known else { return Ev::Unknown };
        let text = |i: usize| a.get(i).map(to_text).unwrap_or_default().to_lowercase();
        let v = match lower.as_str() {
            "contains" => match a.first() {
                Some(Value::Array(items)) => {
                    Value::Bool(items.iter().any(|x| a.get(1).is_some_and(|needle| loose_eq(x, needle))))
                }
                _ => Value::Bool(text(0).contains(&text(1))),
            },
            "startswith" => Value::Bool(text(0).starts_with(&text(1))),
            "endswith" => Value::Bool(text(0).ends_with(&text(1))),
            "format" => {
                let Some(fmt) = a.first() else { return Ev::Unknown };
                let mut s = to_text(fmt).replace("{{", "\u{1}").replace("}}", "\u{2}");
                for (i, arg) in a.iter().enumerate().skip(1) {
                    s = s.replace(&format!("{{{}}}", i - 1), &to_text(arg));
                }
                Value::String(s.replace('\u{1}', "{").replace('\u{2}', "}"))
            }
            "join" => {
                let sep = a.get(1).map(to_text).unwrap_or_else(|| ",".into());
                match a.first() {
                    Some(Value::Array(items)) => {
                        Value::String(items.iter().map(to_text).collect::<Vec<_>>().join(&sep))
                    }
                    Some(v) => Value::String(to_text(v)),
                    None => return Ev::Unknown,
                }
            }
            "tojson" => Value::String(a.first().map(|v| v.to_string()).unwrap_or_default()),
            "fromjson" => match a.first().map(to_text).and_then(|s| serde_json::from_str(&s).ok()) {
                Some(v) => v,
                None => return Ev::Unknown,
            },
            _ => return Ev::Unknown,
        };
        Ev::Known(v)
    }
}

fn property(v: Ev, name: &str, complete: bool) -> (Ev, bool) {
    match v {
        Ev::Known(Value::Object(map)) => {
            let hit = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
            match hit {
                Some(v) => (Ev::Known(v), complete),
                None if complete => (Ev::Known(Value::Null), true),
                None => (Ev::Unknown, false),
            }
        }
        Ev::Known(_) if complete => (Ev::Known(Value::Null), true),
        _ => (Ev::Unknown, false),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s.trim().is_empty() => 0.0,
        Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => a == b,
        _ => number(a) == number(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope(event: &str) -> Scope {
        let mut s = Scope::default();
        s.set("github", json!({"event_name": event}), false);
        s.set("matrix", json!({"platform": "linux/arm64", "target": {"arch": "riscv64"}}), true);
        s.set("inputs", json!({}), true);
        s
    }

    #[test]
    fn event_conditional_platforms() {
        let e = "github.event_name == 'pull_request' && 'linux/amd64' || 'linux/amd64,linux/arm64'";
        assert_eq!(evaluate(e, &scope("pull_request")), Ev::Known(json!("linux/amd64")));
        assert_eq!(evaluate(e, &scope("push")), Ev::Known(json!("linux/amd64,linux/arm64")));
        assert_eq!(condition("github.event_name != 'pull_request'", &scope("pull_request")), Some(false));
        assert_eq!(condition("${{ github.event_name == 'PUSH' }}", &scope("push")), Some(true));
    }

    #[test]
    fn unknowns_propagate_and_nulls_do_not() {
        let s = scope("push");
        assert_eq!(interpolate("${{ matrix.platform }}", &s).as_deref(), Some("linux/arm64"));
        assert_eq!(interpolate("linux/${{ matrix.target.arch }}", &s).as_deref(), Some("linux/riscv64"));
        assert_eq!(interpolate("${{ inputs.platforms || 'linux/amd64' }}", &s).as_deref(), Some("linux/amd64"));
        assert_eq!(interpolate("${{ steps.meta.outputs.platforms }}", &s), None);
        assert_eq!(interpolate("${{ github.ref }}", &s), None);
        assert_eq!(interpolate("${{ vars.PLATFORMS || 'linux/amd64' }}", &s), None);
        assert_eq!(condition("startsWith(github.ref, 'refs/tags/')", &s), None);
        assert_eq!(interpolate("${{ join(fromJSON('[\"a\",\"b\"]'), ',') }}", &s).as_deref(), Some("a,b"));
        assert_eq!(
            interpolate("${{ format('{0}/{1}', 'linux', matrix.target.arch) }}", &s).as_deref(),
            Some("linux/riscv64")
        );
        assert_eq!(condition("contains(fromJSON('[\"push\",\"release\"]'), github.event_name)", &s), Some(true));
    }

    #[test]
    fn hostile_expressions_are_unknown() {
        let s = scope("push");
        assert_eq!(evaluate(&"!".repeat(10_000), &s), Ev::Unknown);
        assert_eq!(evaluate(&"(".repeat(10_000), &s), Ev::Unknown);
        assert_eq!(evaluate("'unterminated", &s), Ev::Unknown);
        assert_eq!(interpolate("${{ matrix.platform ", &s), None);
        assert_eq!(evaluate("a.b.[", &s), Ev::Unknown);
        assert_eq!(evaluate(&"a[".repeat(10_000), &s), Ev::Unknown);
    }
}
