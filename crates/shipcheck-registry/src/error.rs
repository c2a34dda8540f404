//! Registry errors with the distribution-spec code and a plain explanation. URLs in errors lose
//! their query strings (signed URLs carry signatures there), and no header is ever quoted.
//! Everything a registry chose (its messages, codes, URLs it named, digests it sent) goes through
//! [`shown`]: secret shapes redacted, control characters escaped, length capped. The literal
//! credentials a client holds are masked by `Client::scrub` on top.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub url: String,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The distribution-spec error code (`UNAUTHORIZED`, `MANIFEST_UNKNOWN`, …), when known.
    pub code: Option<String>,
    pub message: String,
}

/// What each distribution-spec error code means for the user
/// (<https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes>).
pub fn explain(code: &str) -> &'static str {
    match code {
        "BLOB_UNKNOWN" => "the registry does not have this blob",
        "BLOB_UPLOAD_INVALID" => "the blob upload was rejected",
        "BLOB_UPLOAD_UNKNOWN" => "the upload session is gone; it has to start again",
        "DIGEST_INVALID" => "the content does not match its digest",
        "MANIFEST_BLOB_UNKNOWN" => "the manifest references a blob the registry does not have",
        "MANIFEST_INVALID" => "the registry rejected the manifest",
        "MANIFEST_UNKNOWN" => "no such tag or digest in this repository",
        "NAME_INVALID" => "the repository name is invalid",
        "NAME_UNKNOWN" => "no such repository (or no access to it)",
        "SIZE_INVALID" => "the content length does not match",
        "UNAUTHORIZED" => "authentication required: log in (docker login, podman login) or check the credentials",
        "DENIED" => "the credentials do not give access to this repository",
        "UNSUPPORTED" => "the registry does not support this operation",
        "TOOMANYREQUESTS" => "rate limited by the registry: retry later or authenticate",
        _ => "",
    }
}

fn strip_query(url: &str) -> String {
    shown(url.split(['?', '#']).next().unwrap_or(url), 512)
}

/// Text a registry chose, fit for a message: the one redaction pass for secret shapes, control
/// and bidirectional characters escaped (no terminal escapes, no line-start `::error`), at most
/// `max` characters.
pub fn shown(text: &str, max: usize) -> String {
    // Redacted before it is cut, so that a cut never splits a secret out of its pattern.
    let redacted = shipcheck_report::redact::redact(text);
    let capped: String = redacted.chars().take(max).collect();
    let mut out = shipcheck_report::escape::one_line(&capped).into_owned();
    if redacted.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// `text` with each of `secrets` replaced by `[REDACTED]`.
pub(crate) fn mask(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[REDACTED]");
        }
    }
    out
}

impl Error {
    pub fn from_response(url: &str, status: u16, body: &[u8]) -> Error {
        let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let first =
            v.as_ref().and_then(|v| v.get("errors")).and_then(|e| e.as_array()).and_then(|a| a.first()).cloned();
        let code =
            first.as_ref().and_then(|e| e.get("code")).and_then(|c| c.as_str()).map(String::from).or(match status {
                401 => Some("UNAUTHORIZED".into()),
                403 => Some("DENIED".into()),
                429 => Some("TOOMANYREQUESTS".into()),
                _ => None,
            });
        let said = first.as_ref().and_then(|e| e.get("message")).and_then(|m| m.as_str()).unwrap_or("");
        let said = shown(said, 200);
        let code = code.map(|c| shown(&c, 64));
        let plain = code.as_deref().map(explain).unwrap_or("");
        let message = match (said.is_empty(), plain.is_empty()) {
            (false, false) => format!("{said}: {plain}"),
            (false, true) => said,
            (true, false) => plain.to_string(),
            (true, true) => format!("HTTP {status}"),
        };
        Error { url: strip_query(url), status: Some(status), code, message }
    }

    pub fn transport(url: &str, e: &ureq::Error) -> Error {
        if let Some(failure) = crate::tls::tls_failure(e) {
            use crate::tls::Failure;
            let host = crate::tls::authority(url);
            let message = match failure {
                Failure::Certificate(why) => format!(
                    "TLS with {host} failed: {why}; trust its CA with --cert-dir DIR or a certs.d/{host}/ca.crt \
                     (see `shipcheck push --help`), or turn verification off with --tls-verify=false"
                ),
                Failure::NotTls(why) => format!(
                    "TLS with {host} failed: {why}; it does not seem to speak TLS, and plain HTTP outside \
                     loopback is used only with --tls-verify=false"
                ),
                Failure::Other(why) => format!("TLS with {host} failed: {why}"),
            };
            return Error { url: strip_query(url), status: None, code: None, message };
        }
        // ureq's messages name the host and the failure, never headers.
        Error { url: strip_query(url), status: None, code: None, message: format!("cannot reach the registry: {e}") }
    }

    pub fn io(url: &str, e: &std::io::Error) -> Error {
        Error { url: strip_query(url), status: None, code: None, message: format!("the transfer broke off: {e}") }
    }

    pub fn too_large(url: &str, limit: u64) -> Error {
        Error {
            url: strip_query(url),
            status: None,
            code: None,
            message: format!("the response is larger than {} MiB", limit >> 20),
        }
    }

    pub fn protocol(url: &str, what: &str) -> Error {
        Error { url: strip_query(url), status: None, code: None, message: what.to_string() }
    }

    /// A digest the registry sent that is not `algorithm:hex` as the image spec defines it.
    /// Nothing is fetched or written with it.
    pub fn bad_digest(url: &str, what: &str, digest: &str) -> Error {
        Error {
            url: strip_query(url),
            status: None,
            code: Some("DIGEST_INVALID".into()),
            message: format!(
                "{what} \"{}\" is not a digest (expected sha256:<64 lowercase hex>): nothing is fetched or written with it",
                shown(digest, 100)
            ),
        }
    }

    /// This error with the literal `secrets` masked everywhere in it.
    pub(crate) fn masked(mut self, secrets: &[String]) -> Error {
        self.url = mask(&self.url, secrets);
        self.message = mask(&self.message, secrets);
        self.code = self.code.map(|c| mask(&c, secrets));
        self
    }

    pub fn digest_mismatch(url: &str, expected: &str, got: &str) -> Error {
        Error {
            url: strip_query(url),
            status: None,
            code: Some("DIGEST_INVALID".into()),
            message: format!("the content served has digest {got}, not {expected}: nothing from it is used"),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, self.status) {
            (Some(c), Some(s)) => write!(f, "{}: {c} (HTTP {s}): {}", self.url, self.message),
            (Some(c), None) => write!(f, "{}: {c}: {}", self.url, self.message),
            (None, Some(s)) => write!(f, "{}: HTTP {s}: {}", self.url, self.message),
            (None, None) => write!(f, "{}: {}", self.url, self.message),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_messages_and_no_query() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        let e = Error::from_response("https://r.example/v2/a/manifests/x?sig=SECRET", 404, body);
        assert_eq!(e.code.as_deref(), Some("MANIFEST_UNKNOWN"));
        let shown = e.to_string();
        assert!(shown.contains("no such tag or digest") && !shown.contains("SECRET"), "{shown}");
        let e = Error::from_response("https://r/v2/", 401, b"");
        assert_eq!(e.code.as_deref(), Some("UNAUTHORIZED"));
        assert_eq!(Error::from_response("https://r/v2/", 502, b"<html>").message, "HTTP 502");
    }

    #[test]
    fn registry_text_is_redacted_escaped_and_capped() {
        let body = br#"{"errors":[{"code":"DENIED\u001b[2J","message":"bad password=hunter2\u001b[2J\n::error::x"}]}"#;
        let e = Error::from_response("https://r/v2/\u{1b}x", 403, body);
        let text = e.to_string();
        assert!(!text.contains("hunter2") && !text.contains('\u{1b}') && !text.contains('\n'), "{text}");
        assert!(text.contains("\\u{1b}[2J"), "{text}");
        let e = e.masked(&["r/v2".to_string()]);
        assert!(!e.url.contains("r/v2"), "{e}");
        let long = Error::bad_digest("u", "a layer digest", &"../".repeat(500));
        assert!(long.message.len() < 400 && long.code.as_deref() == Some("DIGEST_INVALID"), "{long}");
    }
}
