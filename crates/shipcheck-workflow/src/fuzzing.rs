//! Entry points shared by the cargo-fuzz targets (fuzz/) and the stable smoke test.

use crate::dockerfile_check::Context;
use crate::{checks, dockerfile, dockerfile_check, expr, repo::Repo, workflow};

/// Splits the input into the files of one repository and checks it whole.
pub fn repository(text: &str) {
    let mut parts = text.splitn(4, "\n#FILE\n");
    let files: Vec<(&str, &str)> =
        [".github/workflows/a.yml", ".github/workflows/b.yml", ".github/actions/x/action.yml", "docker-bake.hcl"]
            .into_iter()
            .zip(parts.by_ref())
            .collect();
    let repo = Repo::in_memory(&files);
    let analysis = workflow::analyze(&repo);
    let _ = checks::check(&analysis);
    for line in text.lines().take(8) {
        let scope = expr::Scope::default();
        let _ = expr::evaluate(line, &scope);
        let _ = expr::interpolate(line, &scope);
        let _ = crate::shell::read(line, &Default::default());
        let _ = crate::makefile::parse(line).script("x", &Default::default(), &Default::default());
    }
}

/// Parses and checks a Dockerfile for two target sets.
pub fn dockerfile(text: &str) {
    let df = dockerfile::parse(text);
    for platforms in [None, Some(vec!["linux/amd64".to_string(), "linux/riscv64".to_string()])] {
        let ctx = Context { platforms, source: None };
        let _ = dockerfile_check::check(&df, "Dockerfile", &ctx);
        let _ = dockerfile_check::base_images(&df, &ctx);
    }
}
