//! The OCI runtime-spec `features` document, read leniently: fields may be missing or null,
//! and null means unknown (runtime-spec features.md). crun escapes `/` (`\/`), which JSON
//! already allows; runc 1.3–1.4 leave a trailing newline in the version annotation.

use serde_json::Value;

/// What a runtime says about one feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    /// Missing or null: the runtime does not say.
    Unknown,
}

/// Why a `features` answer is not a features document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeaturesError {
    #[error("features output is JSON but not an object")]
    NotAnObject,
    /// `error` is the JSON parser's message.
    #[error("features output is not JSON: {error}")]
    NotJson { error: String },
}

#[derive(Clone, Debug)]
pub struct Features {
    pub doc: Value,
}

impl Features {
    /// Parses the document; `Err` with the parser's message when it is not a JSON object.
    pub fn parse(text: &str) -> Result<Features, FeaturesError> {
        match serde_json::from_str::<Value>(text.trim()) {
            Ok(doc @ Value::Object(_)) => Ok(Features { doc }),
            Ok(_) => Err(FeaturesError::NotAnObject),
            Err(error) => Err(FeaturesError::NotJson { error: error.to_string() }),
        }
    }

    /// `a.b.c` → a boolean; `list:value` → whether `value` is in the top-level list `list`
    /// (`mountOptions:rro`); `a.b:value` for nested lists.
    pub fn get(&self, path: &str) -> Tri {
        let (field, member) = match path.split_once(':') {
            Some((f, m)) => (f, Some(m)),
            None => (path, None),
        };
        let mut v = &self.doc;
        for key in field.split('.') {
            match v.get(key) {
                Some(next) => v = next,
                None => return Tri::Unknown,
            }
        }
        match (v, member) {
            (Value::Null, _) => Tri::Unknown,
            (Value::Bool(true), None) => Tri::Yes,
            (Value::Bool(false), None) => Tri::No,
            (Value::Array(items), Some(m)) => {
                if items.iter().any(|i| i.as_str() == Some(m)) {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
            _ => Tri::Unknown,
        }
    }

    /// The version annotation runc puts in features, trimmed (runc 1.3–1.4 end it with `\n`).
    pub fn annotated_version(&self) -> Option<String> {
        let ann = self.doc.get("annotations")?.as_object()?;
        ann.iter()
            .find(|(k, _)| k.ends_with(".version") && k.starts_with("org.opencontainers."))
            .and_then(|(_, v)| v.as_str())
            .map(|s| s.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_paths_and_null_is_unknown() {
        let f = Features::parse(
            r#"{"mountOptions":["ro","rro"],"linux":{"mountExtensions":{"idmap":{"enabled":true}},"intelRdt":null,"selinux":{"enabled":false}},
                "annotations":{"org.opencontainers.runc.version":"1.3.6\n","io.github.seccomp.libseccomp.version":"2.6.1"},"potentiallyUnsafeConfigAnnotations":["bundle"],
                "escaped":"a\/b"}"#,
        )
        .unwrap();
        assert_eq!(f.get("mountOptions:rro"), Tri::Yes);
        assert_eq!(f.get("mountOptions:idmap"), Tri::No);
        assert_eq!(f.get("linux.mountExtensions.idmap.enabled"), Tri::Yes);
        assert_eq!(f.get("linux.selinux.enabled"), Tri::No);
        assert_eq!(f.get("linux.intelRdt.enabled"), Tri::Unknown);
        assert_eq!(f.get("linux.apparmor.enabled"), Tri::Unknown);
        assert_eq!(f.annotated_version().as_deref(), Some("1.3.6"));
        assert!(Features::parse("unknown command features").is_err());
        assert!(Features::parse("[1]").is_err());
    }
}
