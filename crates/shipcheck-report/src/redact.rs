//! Secrets never reach output: one redaction pass that every renderer and every error goes
//! through. Signed-URL signatures, bearer tokens, Authorization headers,
//! credentials in URLs, password/token parameters, and AWS keys are replaced before any text
//! leaves this crate (evidence, messages, errors).

use std::sync::OnceLock;

use regex::Regex;

const MASK: &str = "[REDACTED]";

fn rules() -> &'static [(Regex, String)] {
    static R: OnceLock<Vec<(Regex, String)>> = OnceLock::new();
    R.get_or_init(|| {
        [
            // Azure SAS and similar signed URLs: the signature is the secret.
            (r"(?i)([?&](?:sig|signature|x-amz-signature|x-goog-signature)=)[^&\s\x22'<>]+", format!("${{1}}{MASK}")),
            (r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)\S+", format!("${{1}}{MASK}")),
            (r"(?i)(authorization:\s*)[^\s\x22']{8,}", format!("${{1}}{MASK}")),
            (r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*", format!("${{1}}{MASK}")),
            // user:password@host in URLs.
            (r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", format!("${{1}}{MASK}@")),
            (r"(?i)\b((?:password|passwd|pwd|token|secret|access_token|client_secret|api_key)\s*[=:]\s*)[^&\s\x22',;]+", format!("${{1}}{MASK}")),
            (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", format!("${{1}}{MASK}")),
            (r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+", format!("${{1}}{MASK}")),
            // GitHub tokens.
            (r"\bgh[pousr]_[A-Za-z0-9]{20,}\b", MASK.to_string()),
        ]
        .into_iter()
        .map(|(re, to)| (Regex::new(re).expect("static redaction regex"), to))
        .collect()
    })
}

/// `text` with every known kind of secret replaced by `[REDACTED]`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for (re, to) in rules() {
        if re.is_match(&out) {
            out = re.replace_all(&out, to.as_str()).into_owned();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(MASK), "{out}");
        }
        // Window parameters stay: they are evidence, not secrets.
        assert!(redact("&se=2022-10-30T15%3A44%3A48Z&sig=x").contains("se=2022-10-30T15%3A44%3A48Z"));
        assert_eq!(redact("nothing secret here"), "nothing secret here");
    }
}
