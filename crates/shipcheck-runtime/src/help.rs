//! Flags named in help text: urfave/cli (runc: `   --keep  …`, `--pid-file value`), argp (crun:
//! `  -d, --detach  …`), clap (youki: `      --keep`).

use std::collections::BTreeSet;

/// Every `--long` option that an option line of the help text defines. The option part of a
/// line ends at the first run of two spaces, where the description starts.
pub fn flags(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in help.lines() {
        let t = line.trim_start();
        if !t.starts_with('-') {
            continue;
        }
        let spec = t.split("  ").next().unwrap_or(t);
        for token in spec.split([',', ' ', '\t', '=', '[']) {
            if let Some(name) = token.strip_prefix("--") {
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    out.insert(token.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urfave_argp_and_clap() {
        let runc = "OPTIONS:\n   --bundle value, -b value  path to the root of the bundle directory\n   --keep                    do not delete the container after it exits\n   --no-pivot                do not use pivot root";
        let f = flags(runc);
        assert!(f.contains("--bundle") && f.contains("--keep") && f.contains("--no-pivot"), "{f:?}");
        let crun = "  -b, --bundle=PATH          container bundle (default \".\")\n  -d, --detach               detach the command in the background\n      --no-new-keyring       keep the same session key";
        let f = flags(crun);
        assert!(f.contains("--bundle") && f.contains("--detach") && f.contains("--no-new-keyring"), "{f:?}");
        assert!(!f.contains("--keep"));
        let youki = "Options:\n  -b, --bundle <BUNDLE>\n      --keep\n  -h, --help";
        assert!(flags(youki).contains("--keep"));
    }
}
