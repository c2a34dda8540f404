//! Findings about one Dockerfile: the mistakes that build green on amd64 and break other
//! platforms.

use shipcheck_report::Finding;

use crate::dockerfile::Dockerfile;
use crate::facts::{check_enabled, BaseFacts, DockerfileFacts, Facts, BUILD_ARGS};

/// What the Dockerfile is built for, as far as the repository tells.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Target platforms (normalized), or `None` when no build of this file was found.
    pub platforms: Option<Vec<String>>,
    /// Where that came from, for the evidence (`.github/workflows/release.yml`).
    pub source: Option<String>,
}

impl Context {
    pub(crate) fn multi_platform(&self) -> Option<bool> {
        self.platforms.as_ref().map(|p| p.len() > 1 || p.iter().any(|p| p != "linux/amd64"))
    }
}

/// Every finding about one Dockerfile built for `ctx`.
pub fn check(df: &Dockerfile, artifact: &str, ctx: &Context) -> Vec<Finding> {
    let facts = Facts { dockerfile: Some(DockerfileFacts::new(df, artifact, ctx)), ..Facts::default() };
    check_enabled(&facts, &|_| true)
}

/// A base image and the platforms the build needs from it.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseImage {
    /// Line and column of its FROM.
    pub line: u32,
    pub column: u32,
    /// The reference with global ARG defaults substituted.
    pub image: String,
    pub needed: Vec<String>,
}

/// The external base images (not stages, not `scratch`, not pinned to the build machine) of a
/// Dockerfile with known targets, with what each must provide. References that still hold a
/// variable after the global ARG defaults are substituted are left out.
pub fn base_images(df: &Dockerfile, ctx: &Context) -> Vec<BaseImage> {
    let Some(targets) = &ctx.platforms else { return Vec::new() };
    let defaults: Vec<(String, String)> = df.instructions[df.preamble.clone()]
        .iter()
        .filter(|i| i.keyword == "ARG")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut out: Vec<BaseImage> = Vec::new();
    for (n, stage) in df.stages.iter().enumerate() {
        let earlier =
            df.stages[..n].iter().any(|s| s.name.as_deref() == Some(stage.image.to_ascii_lowercase().as_str()));
        if earlier || stage.image.eq_ignore_ascii_case("scratch") {
            continue;
        }
        let needed = match stage.platform.as_deref() {
            Some(p) if BUILD_ARGS.iter().any(|b| p.contains(b)) => continue,
            Some(p) if !p.contains('$') => crate::platform::normalize(p).into_iter().collect(),
            _ => targets.clone(),
        };
        let image = substitute(&stage.image, &defaults);
        if image.contains('$') || needed.is_empty() {
            continue;
        }
        match out.iter_mut().find(|b| b.image == image) {
            Some(b) => b.needed.extend(needed.into_iter().filter(|p| !b.needed.contains(p)).collect::<Vec<_>>()),
            None => {
                let from = &df.instructions[stage.from];
                out.push(BaseImage { line: from.line, column: from.column, image, needed })
            }
        }
    }
    out
}

/// `$X`, `${X}` and `${X:-default}` from the global ARG defaults; unknown names stay as written.
fn substitute(text: &str, defaults: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in defaults {
        out = out.replace(&format!("${{{k}}}"), v);
        if let Some(i) = out.find(&format!("${{{k}:-")) {
            if let Some(end) = out[i..].find('}') {
                out.replace_range(i..i + end + 1, v);
            }
        }
        let plain = format!("${k}");
        if let Some(i) = out.find(&plain) {
            let after = out[i + plain.len()..].chars().next();
            if after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
                out.replace_range(i..i + plain.len(), v);
            }
        }
    }
    // `${X:-default}` of an ARG without a default falls back to the default.
    while let Some(i) = out.find("${") {
        let Some(end) = out[i..].find('}') else { break };
        let inner = &out[i + 2..i + end];
        let Some((_, fallback)) = inner.split_once(":-") else { break };
        let fallback = fallback.to_string();
        out.replace_range(i..i + end + 1, &fallback);
    }
    out
}

/// The finding for a base image that lacks needed platforms (`available` from its registry).
pub fn missing_base_platforms(artifact: &str, base: &BaseImage, available: &[String]) -> Option<Finding> {
    let facts = Facts { base: Some(BaseFacts { artifact, base, available }), ..Facts::default() };
    check_enabled(&facts, &|_| true).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;
    use shipcheck_report::Severity;

    fn ids(text: &str, platforms: Option<&[&str]>) -> Vec<(String, u32, Severity)> {
        let ctx = Context { platforms: platforms.map(|p| p.iter().map(|s| s.to_string()).collect()), source: None };
        check(&parse(text), "Dockerfile", &ctx)
            .into_iter()
            .map(|f| {
                let line = match f.subject.locator {
                    shipcheck_report::Locator::Position { line, .. } => line,
                    _ => 0,
                };
                (f.rule.id.to_string(), line, f.severity)
            })
            .collect()
    }

    #[test]
    fn unparseable_instructions_are_reported_where_they_are() {
        let got = ids("FROM alpine\nRUNN make\nFROM\n", None);
        assert_eq!(
            got,
            [("dockerfile/invalid".into(), 2, Severity::Error), ("dockerfile/invalid".into(), 3, Severity::Error)],
            "{got:?}"
        );
    }

    #[test]
    fn platform_arg_defaults() {
        let got = ids("FROM golang\nARG TARGETARCH=amd64\nRUN GOARCH=$TARGETARCH go build\n", None);
        assert_eq!(got, [("dockerfile/platform-arg-default".into(), 2, Severity::Error)]);
        assert!(ids("FROM golang\nARG TARGETARCH\nARG VERSION=1\nRUN GOARCH=$TARGETARCH go build\n", None).is_empty());
    }

    #[test]
    fn args_out_of_scope() {
        let got =
            ids("ARG VERSION=1.2\nFROM alpine\nRUN wget https://x/v${VERSION}/t.tgz\nRUN echo $TARGETARCH\n", None);
        assert_eq!(got.iter().filter(|g| g.0 == "dockerfile/arg-out-of-scope").count(), 2, "{got:?}");
        assert!(ids("ARG VERSION=1.2\nFROM alpine:${VERSION}\nARG VERSION\nRUN echo $VERSION\n", None).is_empty());
        // ENV inherited from a parent stage, and a variable the script sets itself.
        assert!(ids(
            "ARG V=1\nFROM alpine AS a\nENV V=2\nFROM a\nRUN echo $V\nRUN TARGETARCH=$(uname -m); echo $TARGETARCH\n",
            None
        )
        .is_empty());
        // ARGs declared in a parent stage are in scope in the stages built FROM it (buildx's
        // lint.Dockerfile declares TARGETPLATFORM in lint-base and reads it in lint).
        assert!(ids(
            "FROM alpine AS base\nARG TARGETPLATFORM\nARG V\nFROM base AS mid\nFROM mid\nRUN echo $TARGETPLATFORM $V\n",
            None
        )
        .is_empty());
        let sibling = ids("FROM alpine AS base\nARG TARGETARCH\nFROM alpine\nRUN echo $TARGETARCH\n", None);
        assert_eq!(sibling.len(), 1, "a stage that is not built FROM the declaring stage: {sibling:?}");
    }

    #[test]
    fn hardcoded_arch_depends_on_targets() {
        let df = "FROM alpine\nRUN wget https://example.com/tool-linux-amd64.tar.gz\n";
        assert_eq!(ids(df, Some(&["linux/amd64"])), []);
        assert_eq!(
            ids(df, None)[0],
            ("dockerfile/hardcoded-arch".into(), 2, Severity::Note),
            "unknown platforms: a note"
        );
        let multi = ids(df, Some(&["linux/amd64", "linux/arm64"]));
        assert!(multi.contains(&("dockerfile/hardcoded-arch".into(), 2, Severity::Error)), "{multi:?}");
        assert!(ids(
            "FROM golang\nARG TARGETARCH\nRUN wget https://x/tool-linux-amd64.tgz && GOARCH=$TARGETARCH go build\n",
            None
        )
        .is_empty());
        assert_eq!(ids("FROM golang\nENV GOARCH=amd64 CGO_ENABLED=0\n", None)[0].0, "dockerfile/hardcoded-arch");
        assert_eq!(ids("FROM --platform=linux/amd64 alpine\nRUN true\n", None)[0].0, "dockerfile/hardcoded-arch");
        // A stage named for the architecture it is pinned to is a per-architecture stage.
        assert!(ids("FROM --platform=arm64 almalinux:9 AS almalinux-9.arm64v8-base\nRUN true\n", None).is_empty());
        assert_eq!(ids("FROM --platform=arm64 alpine AS tools\nRUN true\n", None)[0].0, "dockerfile/hardcoded-arch");
        assert!(ids(
            "FROM --platform=$BUILDPLATFORM golang AS b\nRUN wget https://x/protoc-linux-x86_64.zip\nFROM alpine\n",
            None
        )
        .is_empty());
    }

    #[test]
    fn build_platform_in_final_stage() {
        let got = ids("FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build\nFROM --platform=$BUILDPLATFORM alpine\nCOPY --from=b /app /\n", None);
        assert_eq!(got, [("dockerfile/build-platform-in-final-stage".into(), 3, Severity::Error)]);
        let got = ids("FROM alpine\nARG BUILDARCH\nRUN echo $BUILDARCH\n", None);
        assert_eq!(got, [("dockerfile/build-platform-in-final-stage".into(), 3, Severity::Warning)]);
    }

    #[test]
    fn arch_naming() {
        let got = ids("FROM alpine\nARG TARGETARCH\nADD https://github.com/o/t/releases/download/v1/t-${TARGETARCH}-unknown-linux-musl.tar.gz /t\n", None);
        assert_eq!(got, [("dockerfile/arch-naming".into(), 3, Severity::Error)]);
        assert!(ids(
            "FROM alpine\nARG TARGETARCH\nADD https://dl.example.com/t/v1/t-linux-${TARGETARCH}.tar.gz /t\n",
            None
        )
        .is_empty());
    }

    #[test]
    fn arch_case_gaps() {
        let df = "FROM debian\nRUN set -eux; \\\n  arch=\"$(dpkg --print-architecture)\"; \\\n  case \"$arch\" in \\\n    \"amd64\" | \"armhf\" | \"arm64\") t=tini-$arch ;; \\\n    *) echo >&2 \"unsupported: $arch\"; exit 1 ;; \\\n  esac\n";
        let got = ids(df, Some(&["linux/amd64", "linux/arm64", "linux/riscv64"]));
        assert!(got.contains(&("dockerfile/arch-case-gap".into(), 2, Severity::Error)), "{got:?}");
        assert!(!ids(df, Some(&["linux/amd64", "linux/arm/v7"])).iter().any(|g| g.0 == "dockerfile/arch-case-gap"));
        let lenient = df.replace("exit 1", "t=none");
        assert!(!ids(&lenient, Some(&["linux/riscv64"])).iter().any(|g| g.0 == "dockerfile/arch-case-gap"));
    }

    #[test]
    fn base_images_and_what_they_must_provide() {
        let df = parse("ARG ALPINE=3.20\nARG DEBIAN\nFROM --platform=$BUILDPLATFORM golang AS b\nFROM b AS c\nFROM --platform=linux/amd64 debian:${DEBIAN:-bookworm} AS tools\nFROM alpine:${ALPINE}\nFROM $UNKNOWN\nCOPY --from=c /a /\n");
        let ctx = Context { platforms: Some(vec!["linux/amd64".into(), "linux/riscv64".into()]), source: None };
        let bases = base_images(&df, &ctx);
        assert_eq!(
            bases,
            [
                BaseImage { line: 5, column: 1, image: "debian:bookworm".into(), needed: vec!["linux/amd64".into()] },
                BaseImage {
                    line: 6,
                    column: 1,
                    image: "alpine:3.20".into(),
                    needed: vec!["linux/amd64".into(), "linux/riscv64".into()]
                },
            ]
        );
        let f =
            missing_base_platforms("Dockerfile", &bases[1], &["linux/amd64".into(), "linux/arm64/v8".into()]).unwrap();
        assert_eq!(f.message, "alpine:3.20 has no linux/riscv64");
        assert!(missing_base_platforms("Dockerfile", &bases[0], &["linux/amd64".into()]).is_none());
        assert!(base_images(&df, &Context::default()).is_empty());
    }
}
