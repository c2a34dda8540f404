//! Compose files: the images `docker compose build` (or `up --build`) builds, per service, with
//! the platforms of `build.platforms`, else the service's `platform`, else the builder's own.
//!
//! Where the facts come from: the Compose Specification, "Compose Build Specification"
//! (`build` as a context string or a mapping with `context`, `dockerfile`, `platforms`; "when
//! `platforms` is omitted, the service's `platform` is used") and "Compose file" (the default
//! names `compose.yaml`, `compose.yml`, and `docker-compose.yaml`/`.yml` for backward
//! compatibility), https://github.com/compose-spec/compose-spec (build.md, 03-compose-file.md).

use crate::yaml::Node;

/// Default file names, in the order Compose looks for them.
pub const DEFAULT_FILES: &[&str] = &["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// What the words after `compose` ask for.
#[derive(Debug, Default, PartialEq)]
pub struct Command {
    /// `-f`/`--file`, in order; empty means the default names.
    pub files: Vec<String>,
    /// `--project-directory`.
    pub dir: Option<String>,
    /// Services named on the command line; empty means all.
    pub services: Vec<String>,
    /// `build --push`.
    pub push: bool,
}

pub fn command(words: &[String]) -> Command {
    let mut c = Command::default();
    let mut i = 0;
    let mut sub = None;
    while i < words.len() {
        let w = words[i].as_str();
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v.to_string())),
            _ => (w, None),
        };
        let value = |i: &mut usize| {
            inline.clone().or_else(|| {
                *i += 1;
                words.get(*i).cloned()
            })
        };
        match flag {
            "-f" | "--file" => c.files.extend(value(&mut i)),
            "--project-directory" => c.dir = value(&mut i),
            "-p" | "--project-name" | "--env-file" | "--profile" | "--build-arg" | "--builder" | "--ssh" => {
                value(&mut i);
            }
            "--push" => c.push = true,
            _ if flag.starts_with('-') => {}
            _ if sub.is_none() => sub = Some(w.to_string()),
            _ => c.services.push(w.to_string()),
        }
        i += 1;
    }
    c
}

/// One service's image build.
#[derive(Debug, PartialEq)]
pub struct ServiceBuild {
    pub service: String,
    /// `None`: not listed (the builder's platform). `Err`: written with a variable.
    pub platforms: Option<Result<Vec<String>, String>>,
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    /// Where the platforms are written, else the service's `build`.
    pub line: u32,
    pub column: u32,
}

/// The builds of a parsed Compose file, for the services asked for.
pub fn builds(doc: &Node, services: &[String]) -> Vec<ServiceBuild> {
    let mut out = Vec::new();
    for (name, service) in doc.get("services").map(Node::entries).unwrap_or_default() {
        let Some(name) = name.str() else { continue };
        if !services.is_empty() && !services.iter().any(|s| s == name) {
            continue;
        }
        let Some(build) = service.get("build") else { continue };
        let (context, dockerfile) = match build.str() {
            Some(ctx) => (Some(ctx.to_string()), None),
            None => (
                build.get("context").and_then(Node::str).map(String::from),
                build.get("dockerfile").and_then(Node::str).map(String::from),
            ),
        };
        let listed = build.get("platforms").filter(|p| !p.items().is_empty());
        let (platforms, at) = match (listed, service.get("platform")) {
            (Some(node), _) => (Some(list(node.items().iter().filter_map(Node::str))), node),
            (None, Some(node)) => (node.str().map(|p| list([p])), node),
            (None, None) => (None, build),
        };
        out.push(ServiceBuild {
            service: name.to_string(),
            platforms,
            context: context.or_else(|| Some(".".into())),
            dockerfile,
            line: at.line,
            column: at.column,
        });
    }
    out
}

/// A platform list; a value with `$` (Compose interpolation) makes it unknown.
fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, String> {
    let items: Vec<String> = items.into_iter().map(String::from).collect();
    if items.iter().any(|p| p.contains('$')) {
        Err(items.join(","))
    } else {
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn reads_the_command_line() {
        let c = command(&words("-f ci/compose.yml --project-directory ci build --push api"));
        assert_eq!(c.files, ["ci/compose.yml"]);
        assert_eq!(c.dir.as_deref(), Some("ci"));
        assert_eq!(c.services, ["api"]);
        assert!(c.push);
        assert_eq!(command(&words("up --build -d")).services, Vec::<String>::new());
    }

    #[test]
    fn platforms_then_platform_then_none() {
        let doc = crate::yaml::parse(
            "services:\n  api:\n    build:\n      context: api\n      platforms: [linux/amd64, linux/arm64]\n  web:\n    platform: linux/arm64\n    build: web\n  db:\n    image: postgres\n  env:\n    build:\n      platforms: [\"${PLATFORM}\"]\n  plain:\n    build: .\n",
        )
        .unwrap()
        .unwrap();
        let b = builds(&doc, &[]);
        assert_eq!(b.len(), 4, "{b:?}");
        assert_eq!(b[0].platforms, Some(Ok(vec!["linux/amd64".into(), "linux/arm64".into()])));
        assert_eq!((b[0].context.as_deref(), b[0].line), (Some("api"), 5));
        assert_eq!(b[1].platforms, Some(Ok(vec!["linux/arm64".into()])));
        assert!(matches!(b[2].platforms, Some(Err(_))));
        assert_eq!(b[3].platforms, None);
        assert_eq!(builds(&doc, &["web".to_string()]).len(), 1);
    }
}
