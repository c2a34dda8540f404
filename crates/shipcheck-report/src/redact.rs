//! Secrets never reach output: one redaction pass that every renderer and every error goes
//! through. Every renderer in [`crate::render`] redacts the whole report (messages, evidence,
//! facts, tables, fixes, subjects, input errors, snippets) before it writes a byte, so no
//! caller can forget; [`redact`] is public for text that leaves by another way (errors).
//!
//! Forms: signed-URL signatures and session tokens, `Authorization:` headers, bearer tokens,
//! `user:password@` in URLs, `key=value` / `key: value` / `"key": "value"` where the key ends
//! in password, secret, token, auth, api key, access key or private key (so `GITHUB_TOKEN=`,
//! `CI_JOB_TOKEN=`, `_authToken=`, `DOCKER_PASSWORD=`, `"auth": "…"`), `--password VALUE`,
//! `-p VALUE` after `login`, `curl -u user:pass`, and token shapes that need no key: GitHub
//! (`ghp_…`, `github_pat_…`), GitLab, npm, PyPI, Docker Hub, Slack, Google, Stripe, AWS key
//! IDs, bare JWTs and PEM private keys.
//!
//! Speed: each rule names the literals its text must contain (its triggers); one
//! case-insensitive pass over all triggers picks the rules to run, so text without a trigger
//! costs one scan and no allocation beyond the copy.

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::{Captures, Regex};

use crate::{Checked, Finding, InputError, Locator, Report, Subject, Table};

/// What a secret is replaced with.
pub const MASK: &str = "[REDACTED]";

/// A value after a key or flag: double-quoted (JSON, with escapes), backslash-quoted (JSON
/// inside a string), single-quoted, or a bare word.
const VALUE: &str = r#"(?P<s>"(?:[^"\\\r\n]|\\.)+"|\\"(?:[^"\\\r\n]|\\[^"\r\n])+\\"|'[^'\r\n]+'|[^\s"',;&]+)"#;

/// A redaction rule: the regex, and the literals (any case) one of which its match contains.
/// The capture group `s` is the secret; a rule without it masks its whole match. `{VALUE}` in
/// the pattern stands for [`VALUE`].
struct Rule {
    triggers: &'static [&'static str],
    pattern: &'static str,
}

const fn rule(triggers: &'static [&'static str], pattern: &'static str) -> Rule {
    Rule { triggers, pattern }
}

/// Every redaction rule, in the order they run.
static RULES: &[Rule] = &[
    // PEM private keys: the whole block (or to the end of the text when it is cut).
    rule(&["private key-----"], r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|\z)"),
    // Azure SAS, S3 and GCS signed URLs: the signature (and an STS session token) is the
    // secret; the validity window (`st=`, `se=`, `X-Amz-Date`) is evidence and stays.
    rule(
        &["sig=", "signature=", "security-token="],
        r#"(?i)[?&](?:sig|signature|x-amz-signature|x-goog-signature|x-amz-security-token)=(?P<s>[^&\s"'<>]+)"#,
    ),
    rule(
        &["authorization"],
        r#"(?i)authorization\\?["']?[ \t]*[:=][ \t]*(?:\\?["'])?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?(?P<s>[^\s"'\\,;]+)"#,
    ),
    rule(&["bearer"], r"(?i)\bbearer[ \t]+(?P<s>[A-Za-z0-9\-._~+/]{8,}=*)"),
    // user:password@ in URLs; the user name goes too (it is often the token's name).
    rule(&["://"], r"(?i)\b[a-z][a-z0-9+.-]*://(?P<s>[^/\s:@]+:[^/\s@]+)@"),
    // key=value, key: value, "key": "value". The key may have any prefix (`GITHUB_`,
    // `npm_`, `//registry.npmjs.org/:_`) but must end in one of these words right before
    // the separator: `token_type` or `tokens fetched` are not keys of a secret, nor is the
    // last part of a path (`/etc/passwd: outside the repository`).
    rule(
        &["pass", "secret", "token", "key", "auth"],
        r#"(?i)(?:^|[^A-Za-z0-9_./-])["']?[A-Za-z0-9_.-]*(?:password|passwd|passphrase|[_-]pass|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth)(?P<kq>\\?["'])?[ \t]*(?P<sep>[:=])[ \t]*{VALUE}"#,
    ),
    // `--password VALUE` / `--password=VALUE` (not `--password-stdin`), `--token VALUE`.
    rule(
        &["--pass", "--token", "--api-key", "--access-key"],
        r#"(?i)(?:^|[ \t])--(?:password|passwd|token|api-key|access-key)(?:[ \t]+|=)(?P<s>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'-]\S*|-[^\s-]\S*)"#,
    ),
    // `docker login -u bob -p VALUE`, `sshpass -p VALUE`: -p is a password only there
    // (elsewhere it is a port or `mkdir -p`).
    rule(
        &["login", "sshpass"],
        r#"(?i)\b(?:login|sshpass)\b[^\r\n]*?[ \t]-p(?:[ \t]+|=)?(?P<s>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'-]\S*)"#,
    ),
    rule(&["curl"], r#"(?i)\bcurl\b[^\r\n]*?[ \t](?:-u|--user)(?:[ \t]+|=)["']?[^\s:'"]*:(?P<s>[^\s'"]+)"#),
    // Token shapes that are secrets wherever they appear. No leading \b: a token may
    // follow `_` (`GITHUB_TOKEN_ghp_…` in a dumped environment).
    rule(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"gh[pousr]_[A-Za-z0-9]{30,}"),
    rule(&["github_pat_"], r"github_pat_[A-Za-z0-9_]{20,}"),
    rule(&["glpat-"], r"glpat-[A-Za-z0-9_-]{20,}"),
    rule(&["npm_"], r"npm_[A-Za-z0-9]{36,}"),
    rule(&["pypi-"], r"pypi-AgE[A-Za-z0-9_-]{20,}"),
    rule(&["dckr_pat_"], r"dckr_pat_[A-Za-z0-9_-]{20,}"),
    rule(&["xox"], r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    rule(&["aiza"], r"AIza[0-9A-Za-z_-]{35}"),
    rule(&["_live_"], r"\b[sr]k_live_[0-9A-Za-z]{20,}"),
    rule(&["akia", "asia"], r"\b(?:AKIA|ASIA)(?P<s>[0-9A-Z]{16})\b"),
    // A bare JWT: a base64url JSON header (`{"` encodes as `eyJ`), payload and signature.
    rule(&["eyj"], r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
];

/// The trigger literals in one automaton (a literal search is cheap to build and to run), and
/// each rule's regex compiled the first time one of its literals appears: a run that never
/// meets a secret's trigger word pays for no regex at all.
///
/// The literals and patterns are constants (a test builds them all), so neither can fail to
/// build; were one to, redaction fails closed: every rule runs, and text that meets a rule whose
/// regex does not build is masked whole.
struct Compiled {
    triggers: Option<AhoCorasick>,
    /// The rule each trigger literal belongs to, by the literal's index.
    owner: Vec<usize>,
    rules: Vec<OnceLock<Option<Regex>>>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let mut literals = Vec::new();
        let mut owner = Vec::new();
        for (i, r) in RULES.iter().enumerate() {
            for t in r.triggers {
                literals.push(*t);
                owner.push(i);
            }
        }
        let triggers = AhoCorasickBuilder::new().ascii_case_insensitive(true).build(&literals).ok();
        let rules = RULES.iter().map(|_| OnceLock::new()).collect();
        Compiled { triggers, owner, rules }
    })
}

impl Compiled {
    /// Which rules' trigger literals `text` contains, in rule order.
    fn fired(&self, text: &str) -> Vec<usize> {
        let Some(triggers) = &self.triggers else { return (0..RULES.len()).collect() };
        let mut fired = vec![false; RULES.len()];
        for m in triggers.find_overlapping_iter(text) {
            fired[self.owner[m.pattern().as_usize()]] = true;
        }
        fired.iter().enumerate().filter(|(_, f)| **f).map(|(i, _)| i).collect()
    }

    fn rule(&self, i: usize) -> Option<&Regex> {
        self.rules[i].get_or_init(|| Regex::new(&RULES[i].pattern.replace("{VALUE}", VALUE)).ok()).as_ref()
    }
}

/// `text` with every known kind of secret replaced by `[REDACTED]`.
pub fn redact(text: &str) -> String {
    redact_cow(text).into_owned()
}

/// [`redact`] without a copy when there is nothing to redact.
pub fn redact_cow(text: &str) -> Cow<'_, str> {
    let c = compiled();
    let fired = c.fired(text);
    if fired.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    for i in fired {
        let Some(re) = c.rule(i) else { return Cow::Borrowed(MASK) };
        let replaced = match re.replace_all(&out, |c: &Captures| mask_secret(c, &out)) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        };
        if let Some(s) = replaced {
            out = Cow::Owned(s);
        }
    }
    out
}

/// The match with its secret (group `s`, or the whole match) masked. Quotes around the
/// secret stay, so JSON stays JSON; a secret already masked is left alone, so redacting twice
/// changes nothing; a value that is not a secret stays (see [`not_a_secret`]).
fn mask_secret(c: &Captures, haystack: &str) -> String {
    // Group 0 is always there; without it nothing can be kept.
    let Some(whole) = c.get(0) else { return MASK.to_string() };
    let Some(s) = c.name("s") else { return MASK.to_string() };
    let secret = s.as_str();
    let quote = ["\\\"", "\"", "'"]
        .into_iter()
        .find(|q| secret.len() >= 2 * q.len() && secret.starts_with(q) && secret.ends_with(q));
    let bare = quote.map_or(secret, |q| &secret[q.len()..secret.len() - q.len()]);
    if secret.starts_with(MASK) || not_a_secret(bare) || prose(c, quote.is_some(), &haystack[whole.end()..]) {
        return whole.as_str().to_string();
    }
    let masked = match quote {
        Some(q) => format!("{q}{MASK}{q}"),
        None => MASK.to_string(),
    };
    let text = whole.as_str();
    let (start, end) = (s.start() - whole.start(), s.end() - whole.start());
    format!("{}{masked}{}", &text[..start], &text[end..])
}

/// `reading token: permission denied`: an unquoted key, `:`, and a lowercase word that a
/// sentence goes on from is a message, not a setting (YAML puts one value on its line).
fn prose(c: &Captures, quoted: bool, after: &str) -> bool {
    let colon = c.name("sep").is_some_and(|m| m.as_str() == ":") && c.name("kq").is_none();
    let word = c.name("s").is_some_and(|m| m.as_str().bytes().all(|b| b.is_ascii_lowercase()));
    let goes_on = after.strip_prefix(' ').is_some_and(|a| a.starts_with(|ch: char| ch.is_ascii_lowercase()));
    colon && !quoted && word && goes_on
}

/// Values after a secret's key or flag that are not the secret itself: a reference to where
/// it is kept (`${{ secrets.X }}`, `$TOKEN`, `$(cat file)`, `$env:X`), a workflow permission
/// (`id-token: write`), a boolean, or a word of the tool's own prose (docker's "Using
/// --password via the CLI is insecure", "failed to fetch anonymous token: unexpected status").
fn not_a_secret(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "write",
        "read",
        "none",
        "all",
        "true",
        "false",
        "null",
        "inherit",
        "via",
        "unexpected",
        "required",
        "invalid",
        "expired",
        "missing",
        "incorrect",
        "denied",
        "is",
        "was",
        "not",
        "the",
        "for",
        "from",
        "and",
        "or",
        "to",
        "of",
        "in",
        "with",
        "stdin",
    ];
    let reference = value
        .strip_prefix('$')
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c == '{' || c == '(' || c == '_' || c.is_ascii_alphabetic());
    // A bare value runs to white space: `true}` in flow YAML or compact JSON is the word `true`.
    let word = value.trim_end_matches(['}', ']', ')']);
    reference || WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// A copy of `report` with every string redacted: subjects, messages, evidence (keys too),
/// fixes, what was checked (facts, tables) and input errors. Renderers call this first, so
/// every format, present or future, writes only redacted text.
pub fn report(report: &Report) -> Report {
    let r = |s: &String| redact_cow(s).into_owned();
    let pairs = |v: &[(String, String)]| v.iter().map(|(k, x)| (r(k), r(x))).collect::<Vec<_>>();
    Report {
        checked: report
            .checked
            .iter()
            .map(|c| Checked {
                input: r(&c.input),
                kind: r(&c.kind),
                facts: pairs(&c.facts),
                tables: c
                    .tables
                    .iter()
                    .map(|t| Table {
                        name: r(&t.name),
                        columns: t.columns.iter().map(r).collect(),
                        rows: t.rows.iter().map(|row| row.iter().map(r).collect()).collect(),
                    })
                    .collect(),
            })
            .collect(),
        findings: report
            .findings
            .iter()
            // Every field named, no `..`: a new text field fails to compile until it is redacted.
            .map(|f| Finding {
                rule: f.rule,
                severity: f.severity,
                subject: subject(&f.subject),
                message: r(&f.message),
                evidence: pairs(&f.evidence),
                remedy: r(&f.remedy),
            })
            .collect(),
        errors: report.errors.iter().map(|e| InputError { input: r(&e.input), message: r(&e.message) }).collect(),
        looked: report.looked.iter().map(r).collect(),
        root: report.root.clone(),
        command: report.command.as_ref().map(r),
    }
}

fn subject(s: &Subject) -> Subject {
    let r = |s: &String| redact_cow(s).into_owned();
    let locator = match &s.locator {
        Locator::Entry { path } => Locator::Entry { path: r(path) },
        Locator::Descriptor { digest } => Locator::Descriptor { digest: r(digest) },
        Locator::Platform { platform } => Locator::Platform { platform: r(platform) },
        other @ (Locator::Whole | Locator::Position { .. }) => other.clone(),
    };
    Subject { artifact: r(&s.artifact), locator }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_builds() {
        let c = compiled();
        assert!(c.triggers.is_some());
        for (i, r) in RULES.iter().enumerate() {
            assert!(c.rule(i).is_some(), "{}", r.pattern);
            assert!(!r.triggers.is_empty(), "{}", r.pattern);
        }
    }

    #[test]
    fn redacts_every_kind() {
        let cases = [
            (
                "GET https://x.blob.core.windows.net/c/1?sv=2019&se=2022-10-30T15%3A44%3A48Z&sig=AbC%2Bd3fG%3D&sp=r",
                "sig=AbC",
            ),
            ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig", "eyJhbGci"),
            ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpw"),
            ("docker login https://bob:hunter22@registry.example.com", "hunter22"),
            ("curl -d password=s3cr3t&user=a", "s3cr3t"),
            ("token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdef"),
            ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "IOSFODNN7"),
            ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUt"),
            // Defect 5: the forms the adversarial sweep found missing.
            ("+ docker login -u bob -p hunter2pass ghcr.io", "hunter2pass"),
            ("podman login --username bob --password hunter3pass quay.io", "hunter3pass"),
            ("skopeo login --password=hunter4pass quay.io", "hunter4pass"),
            ("export GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABC"),
            ("id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlc2ln done", "eyJzdWIi"),
            (r#"{"username": "bob", "password": "hunter5 pass"}"#, "hunter5"),
            ("registry:\n  password: hunter6pass\n", "hunter6pass"),
            (r#"{\"password\":\"hunter7pass\"}"#, "hunter7pass"),
            ("//registry.npmjs.org/:_authToken=npmsecretvalue1", "npmsecretvalue1"),
            ("DOCKER_PASSWORD=hunter8pass", "hunter8pass"),
            ("GITHUB_TOKEN=ghs_shortbutsecret", "ghs_shortbutsecret"),
            ("CI_JOB_TOKEN=glcbt-64_secretvalue", "glcbt-64_secretvalue"),
            ("NPM_TOKEN=npmsecret2", "npmsecret2"),
            ("STRIPE_API_KEY=sk_test_value123", "sk_test_value123"),
            (r#"{"auths": {"ghcr.io": {"auth": "Ym9iOmh1bnRlcjk="}}}"#, "Ym9iOmh1bnRlcjk"),
            ("X-Registry-Auth: eyJ1c2VybmFtZSI6ImJvYiJ9", "eyJ1c2VybmFtZSI6ImJvYiJ9"),
            ("sshpass -p 'hunter10' ssh host", "hunter10"),
            ("curl -u bob:hunter11 https://x", "hunter11"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEpAIB"),
            ("glpat-abcdefghij0123456789xy", "glpat-abc"),
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(MASK), "{out}");
            assert_eq!(redact(&out), out, "redacting twice changes nothing");
        }
        // Window parameters stay: they are evidence, not secrets.
        assert!(redact("&se=2022-10-30T15%3A44%3A48Z&sig=x").contains("se=2022-10-30T15%3A44%3A48Z"));
        // JSON stays JSON.
        assert_eq!(redact(r#"{"password": "a b"}"#), r#"{"password": "[REDACTED]"}"#);
    }

    #[test]
    fn ordinary_log_text_stays() {
        for text in [
            "nothing secret here",
            "echo $PASS | docker login -u bob --password-stdin ghcr.io",
            "Login Succeeded",
            r#"{"token_type": "bearer", "expires_in": 300}"#,
            "12 tokens fetched, max_tokens: 100",
            "mkdir -p /tmp/build && docker run -p 8080:80 nginx",
            "PWD=/home/runner/work/app",
            "secrets: inherit",
            "docker buildx build --secret id=npmrc,src=.npmrc .",
            "key: ${{ runner.os }}-cargo",
            "Error response from daemon: unauthorized: authentication required",
            // Real CI text that names a secret's key or flag without a secret.
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
            "failed to authorize: failed to fetch anonymous token: unexpected status: 429",
            "permissions:\n  id-token: write\n  contents: read",
            r#"{"id-token": "write", "use_github_app_token": true}"#,
            "password: ${{ secrets.DOCKERHUB_TOKEN }}",
            "GH_TOKEN: ${{ github.token }}",
            "gh release upload --token \"$OUTPUTS_TOKEN\" v1 a.tar",
            "echo \"user ALL=(ALL) NOPASSWD:ALL\" > /etc/sudoers.d/user",
            "config: /etc/passwd: outside the repository",
            "reading token: permission denied",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
